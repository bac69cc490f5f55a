// The bundled catalog lives in `@mcpmux/server/operations` (the admin API serves it too).
export {
  CATALOG,
  type CatalogEntry,
  type CatalogInput,
  describeTransport,
  findCatalogEntry,
  searchCatalog,
} from '@mcpmux/server/operations';
