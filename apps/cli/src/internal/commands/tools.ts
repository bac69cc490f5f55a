import { McpmuxError } from '@mcpmux/core';
import type { Ctx } from '../context.js';
import { loadFeaturesets, loadHome } from '../deps.js';

async function reportGaps(
  ctx: Ctx,
  gaps: { never: string[]; unavailable: string[] },
  space: string,
): Promise<void> {
  if (gaps.never.length > 0) {
    // Loaded only for such a gap: it asks the running gateway, which `tools` otherwise never does.
    const { notConnected } = await import('./status.js');
    for (const id of gaps.never) {
      ctx.out.line(
        `note: server ${id} has never connected in Space ${space} and contributes nothing: ${(await notConnected(ctx.home, id, space)).detail}.`,
      );
    }
  }
  for (const id of gaps.unavailable) {
    ctx.out.line(
      `note: server ${id} was unavailable at its last connection; its features are hidden until it reconnects.`,
    );
  }
}

/** `tools --client ID [--space S]` */
export async function tools(ctx: Ctx, opts: { client: string; space?: string }): Promise<number> {
  // The resolver (which resolveClientPolicy imports) loads while the store opens.
  loadFeaturesets().catch(() => undefined);
  const { resolveClientPolicy, effectiveFeatures, discoveryGaps } = await loadHome();
  return ctx.withStore(async ({ store }) => {
    const { context: pc, resolution } = await resolveClientPolicy(store, opts.client, opts.space);
    const rows = effectiveFeatures(pc, resolution);
    if (ctx.json) {
      ctx.out.data(rows);
      return 0;
    }
    const grants = pc.grants.length > 0 ? pc.grants.join(', ') : 'none';
    ctx.out.line(`Client ${pc.client.id} in Space ${pc.space.id} (grants: ${grants}; plus default):`);
    ctx.out.table(
      ['KIND', 'EXPOSED NAME', 'SERVER', 'NAME'],
      rows.map((r) => [r.kind, r.exposedName, r.server, r.name]),
      pc.catalog.length === 0
        ? 'Nothing: the Space has no discovered features yet.'
        : `Nothing allowed. Grant a set with \`mcpmux client grant ${pc.client.id} all --space ${pc.space.id}\`.`,
    );
    await reportGaps(ctx, await discoveryGaps(store, pc), pc.space.id);
    return 0;
  });
}

/** `explain --client ID SELECTOR [--space S]` */
export async function explain(
  ctx: Ctx,
  selectorText: string,
  opts: { client: string; space?: string },
): Promise<number> {
  const { parseSelector } = await loadFeaturesets();
  const { resolveClientPolicy, discoveryGaps } = await loadHome();
  const selector = parseSelector(selectorText);
  if (selector.type !== 'feature' || /[*?]/.test(selector.server + selector.name)) {
    throw new McpmuxError(
      'INVALID_INPUT',
      `explain needs one feature: tool:SERVER/NAME, prompt:SERVER/NAME or resource:SERVER/URI, without globs (got "${selectorText}").`,
      { data: { field: 'selector' } },
    );
  }
  return ctx.withStore(async ({ store }) => {
    const { context: pc, resolution } = await resolveClientPolicy(store, opts.client, opts.space);
    const ref = { kind: selector.kind, server: selector.server, name: selector.name };
    const e = resolution.explain(ref);
    if (ctx.json) {
      ctx.out.data({
        allowed: e.allowed,
        inCatalog: e.inCatalog,
        includedBy: e.includedBy,
        excludedBy: e.excludedBy,
      });
      return 0;
    }
    const o = ctx.out;
    const label = `${ref.kind}:${ref.server}/${ref.name}`;
    o.line(
      `${e.allowed ? o.color.green('ALLOWED') : o.color.red('DENIED')} ${label} for client ${pc.client.id} in Space ${pc.space.id}`,
    );
    if (!e.inCatalog) {
      const gaps = await discoveryGaps(store, pc);
      const known = pc.servers.some((s) => s.serverId === ref.server);
      o.line(
        !known
          ? `  not in the catalog: server ${ref.server} is not available in Space ${pc.space.id}.`
          : gaps.never.includes(ref.server)
            ? `  not in the catalog: server ${ref.server} has never connected in Space ${pc.space.id}.`
            : `  not in the catalog: server ${ref.server} does not offer it (or is unavailable).`,
      );
    }
    for (const trail of e.includedBy) o.line(`  included by: ${trail.join(' -> ')}`);
    for (const trail of e.excludedBy) o.line(`  excluded by: ${trail.join(' -> ')}`);
    if (e.inCatalog && e.includedBy.length === 0) {
      o.line(`  no granted set includes it (grants: ${pc.grants.join(', ') || 'none'}; plus default).`);
    }
    return 0;
  });
}
