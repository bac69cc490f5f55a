CREATE TABLE `access_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`client_id` text NOT NULL,
	`hash` text NOT NULL,
	`prefix` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	`expires_at` integer,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `access_keys_hash` ON `access_keys` (`hash`);--> statement-breakpoint
CREATE INDEX `access_keys_client` ON `access_keys` (`client_id`);--> statement-breakpoint
CREATE TABLE `audit_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`action` text NOT NULL,
	`client_id` text,
	`space_id` text,
	`feature_kind` text,
	`feature_server` text,
	`feature_name` text,
	`decision` text,
	`outcome` text,
	`duration_ms` real,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `audit_at` ON `audit_events` (`at`);--> statement-breakpoint
CREATE INDEX `audit_space` ON `audit_events` (`space_id`);--> statement-breakpoint
CREATE INDEX `audit_client` ON `audit_events` (`client_id`);--> statement-breakpoint
CREATE TABLE `changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`space_id` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `clients` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`mode` text NOT NULL,
	`pinned_space_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`pinned_space_id`) REFERENCES `spaces`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE TABLE `discovered_features` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`space_id` text NOT NULL,
	`server_id` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`annotations` text,
	`definition` text,
	`definition_hash` text NOT NULL,
	`available` integer DEFAULT true NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	FOREIGN KEY (`space_id`) REFERENCES `spaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`server_id`) REFERENCES `servers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `discovered_identity` ON `discovered_features` (`space_id`,`server_id`,`kind`,`name`);--> statement-breakpoint
CREATE TABLE `feature_sets` (
	`space_id` text NOT NULL,
	`id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`kind` text NOT NULL,
	`server_id` text,
	`members` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`space_id`, `id`),
	FOREIGN KEY (`space_id`) REFERENCES `spaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`server_id`) REFERENCES `servers`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "feature_sets_kind" CHECK(kind in ('all', 'default', 'server-all', 'custom'))
);
--> statement-breakpoint
CREATE INDEX `feature_sets_server` ON `feature_sets` (`server_id`);--> statement-breakpoint
CREATE TABLE `grants` (
	`client_id` text NOT NULL,
	`space_id` text NOT NULL,
	`set_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`client_id`, `space_id`, `set_id`),
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`space_id`,`set_id`) REFERENCES `feature_sets`(`space_id`,`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `grants_set` ON `grants` (`space_id`,`set_id`);--> statement-breakpoint
CREATE TABLE `installations` (
	`space_id` text NOT NULL,
	`server_id` text NOT NULL,
	`alias` text NOT NULL,
	`prefix` integer DEFAULT true NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`overrides` text NOT NULL,
	`installed_at` integer NOT NULL,
	PRIMARY KEY(`space_id`, `server_id`),
	FOREIGN KEY (`space_id`) REFERENCES `spaces`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`server_id`) REFERENCES `servers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `installations_alias` ON `installations` (`space_id`,`alias`);--> statement-breakpoint
CREATE INDEX `installations_server` ON `installations` (`server_id`);--> statement-breakpoint
CREATE TABLE `servers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`transport` text NOT NULL,
	`inputs` text NOT NULL,
	`default_enabled` integer DEFAULT false NOT NULL,
	`timeout_seconds` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `spaces` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`icon` text,
	`description` text,
	`active` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `spaces_one_active` ON `spaces` (`active`) WHERE active = 1;