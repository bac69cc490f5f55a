ALTER TABLE `clients` ADD `lean` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `clients` ADD `pinned_tools` text DEFAULT '[]' NOT NULL;