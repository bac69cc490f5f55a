import { defineConfig } from 'drizzle-kit';

// The PostgreSQL migrations (team mode), generated from src/internal/pg-schema.ts:
// `pnpm --filter @mcpmux/space-store db:generate:pg <name>`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/internal/pg-schema.ts',
  out: './drizzle-pg',
});
