/**
 * The code generator on a contract using every mapped class-validator decorator and on a zod
 * contract: the Python module and JSON Schemas equal the golden files byte for byte, the module
 * compiles with the system Python, and its structure (classes, bases, fields, METHODS, the
 * contract object) read with Python's ast module is what clamator-over-redis imports.
 * `UPDATE_GOLDEN=1 npm test -- test/unit/codegen/generate.spec.ts` rewrites the golden files (then review the diff).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateJsonSchemas, generatePython, type GeneratedFile } from '../../../lib/index.js';
import { describePythonModule, pyCompile, type PyModuleShape } from '../../utils/python.js';
import { catalog } from './fixtures/catalog.contract.js';
import { notes } from './fixtures/notes.contract.js';

const GOLDEN = fileURLToPath(new URL('./fixtures/golden/', import.meta.url));
// The paths the CLI names when run from the repository root, so that its output must equal these golden files too.
const options = { sourceOf: (c: { service: string }) => `test/unit/codegen/fixtures/${c.service === 'notes' ? 'notes' : 'catalog'}.contract.ts` };

async function expectGolden(files: readonly GeneratedFile[]): Promise<void> {
  for (const file of files) {
    const golden = join(GOLDEN, file.path);
    if (process.env.UPDATE_GOLDEN === '1') await writeFile(golden, file.contents);
    const expected = await readFile(golden);
    // Bytes, not strings: line endings, trailing newline and encoding all count.
    expect(Buffer.from(file.contents, 'utf8').equals(expected)).toBe(true);
  }
}

describe('generatePython and generateJsonSchemas', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clamator-codegen-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function compiledShape(file: GeneratedFile): Promise<PyModuleShape> {
    const path = join(dir, file.path);
    await writeFile(path, file.contents);
    await pyCompile(path);
    return describePythonModule(path);
  }

  it('writes the class-validator contract exactly as the golden Python module and schemas', async () => {
    const python = await generatePython(catalog, options);
    expect(python.map((f) => f.path)).toEqual(['catalog-v2.py']);
    await expectGolden(python);
    const schemas = await generateJsonSchemas(catalog, options);
    expect(schemas.map((f) => f.path)).toEqual([
      'catalog-v2.createItem.params.schema.json',
      'catalog-v2.createItem.result.schema.json',
      'catalog-v2.getItem.params.schema.json',
      'catalog-v2.getItem.result.schema.json',
      'catalog-v2.deleteItem.params.schema.json',
      'catalog-v2.deleteItem.result.schema.json',
      'catalog-v2.auditTrail.params.schema.json',
      'catalog-v2.ping.params.schema.json',
    ]);
    await expectGolden(schemas);
  });

  it('gives byte-identical output for the same contracts on every run', async () => {
    const [first, second] = [await generatePython([catalog, notes], options), await generatePython([catalog, notes], options)];
    expect(second).toEqual(first);
    expect(await generateJsonSchemas([catalog, notes], options)).toEqual(await generateJsonSchemas([catalog, notes], options));
  });

  it('emits a module that compiles and has clamator-over-redis shape: models, client, service, METHODS, contract', async () => {
    const [file] = await generatePython(catalog, options);
    const shape = await compiledShape(file);
    expect(shape.imports).toEqual([
      { module: '__future__', names: ['annotations'] },
      { module: 'abc', names: ['ABC', 'abstractmethod'] },
      { module: 'clamator_protocol', names: ['ClamatorClient', 'Contract', 'MethodEntry'] },
      { module: 'typing', names: ['Annotated', 'Literal'] },
      { module: 'pydantic', names: ['BaseModel', 'ConfigDict', 'Field'] },
    ]);
    const classes = Object.fromEntries(shape.classes.map((c) => [c.name, c]));
    expect(shape.classes.map((c) => [c.name, c.bases.join(',')])).toEqual([
      ['Dimensions', 'BaseModel'],
      ['Tag', 'BaseModel'],
      ['CreateItemParams', 'BaseModel'],
      ['CreateItemResult', 'BaseModel'],
      ['GetItemParams', 'BaseModel'],
      ['GetItemResult', 'CreateItemResult'],
      ['DeleteItemParams', 'GetItemParams'],
      ['DeleteItemResult', 'GetItemParams'],
      ['AuditTrailParams', 'BaseModel'],
      ['PingParams', 'BaseModel'],
      ['CatalogV2Client', ''],
      ['CatalogV2Service', 'ABC'],
    ]);
    for (const model of ['Dimensions', 'Tag', 'CreateItemParams', 'CreateItemResult', 'GetItemParams', 'AuditTrailParams', 'PingParams']) {
      expect(classes[model].fields[0]).toEqual({ name: 'model_config', annotation: null, default: "ConfigDict(extra='forbid')" });
    }
    const params = Object.fromEntries(classes.CreateItemParams.fields.map((f) => [f.name, [f.annotation, f.default]]));
    expect(params).toMatchObject({
      sku: ['str', "Field(..., min_length=3, max_length=40, pattern='^[a-z][a-z0-9-]*$')"],
      title: ['str', "Field(..., min_length=1, pattern='(?i)colou?r')"],
      quantity: ['int', 'Field(..., ge=1, le=1000)'],
      discount: ['float', 'Field(..., lt=0)'],
      in_stock: ['bool', "Field(..., alias='inStock')"],
      color: ["Literal['red', 'green']", null],
      priority: ['Literal[1, 2]', null],
      size: ["Literal['s', 'm', 'l', 42, True]", null],
      note: ['str | None', 'Field(None, max_length=200)'],
      retries: ['int | None', 'Field(None, ge=0)'],
      dimensions: ['Dimensions', null],
      tags: ['list[Tag]', 'Field(..., min_length=1, max_length=5)'],
      digits: ['list[Annotated[int, Field(ge=0, le=9)]]', 'Field(..., min_length=1)'],
      countries: ['list[Annotated[str, Field(min_length=2, max_length=2)]]', null],
      palette: ["list[Literal['red', 'green']]", null],
      class_: ['str', "Field(..., alias='class')"],
      field_internal_ref: ['str', "Field(..., alias='_internalRef')"],
    });
    expect(classes.Tag.fields.map((f) => [f.name, f.annotation, f.default])).toEqual([
      ['model_config', null, "ConfigDict(extra='forbid')"],
      ['label', 'str', 'Field(..., min_length=1, max_length=20)'],
      ['parent', 'Tag | None', 'None'],
    ]);

    const client = classes.CatalogV2Client.methods;
    expect(client.map((m) => [m.name, m.returns, m.calls.filter((c) => c.startsWith('self._client'))])).toEqual([
      ['create_item', 'CreateItemResult', ['self._client.call']],
      ['get_item', 'GetItemResult', ['self._client.call']],
      ['delete_item', 'DeleteItemResult', ['self._client.call']],
      ['audit_trail', 'None', ['self._client.notify']],
      ['ping', 'None', ['self._client.notify']],
    ]);
    expect(client[0].calls).toContain('CreateItemResult.model_validate');
    expect(client[0].args).toEqual(['self', 'params', 'timeout_ms']);
    const service = classes.CatalogV2Service.methods;
    expect(service.every((m) => m.abstract)).toBe(true);
    expect(service.map((m) => `${m.name}(${m.args.join(', ')}) -> ${m.returns}`)).toEqual([
      'create_item(self, params) -> CreateItemResult',
      'get_item(self, params) -> GetItemResult',
      'delete_item(self, params) -> DeleteItemResult',
      'audit_trail(self, params) -> None',
      'ping(self, params) -> None',
    ]);

    expect(shape.methods).toEqual({
      createItem: { call: 'MethodEntry', params_model: 'CreateItemParams', result_model: 'CreateItemResult', handler_attr: "'create_item'" },
      getItem: { call: 'MethodEntry', params_model: 'GetItemParams', result_model: 'GetItemResult', handler_attr: "'get_item'" },
      deleteItem: { call: 'MethodEntry', params_model: 'DeleteItemParams', result_model: 'DeleteItemResult', handler_attr: "'delete_item'" },
      auditTrail: { call: 'MethodEntry', params_model: 'AuditTrailParams', result_model: 'None', handler_attr: "'audit_trail'" },
      ping: { call: 'MethodEntry', params_model: 'PingParams', result_model: 'None', handler_attr: "'ping'" },
    });
    expect(shape.contracts).toEqual({ catalog_v2_contract: { call: 'Contract', service: "'catalog-v2'", methods: 'METHODS' } });
  });

  it('generates a zod 4 contract in clamator shape: golden module and schemas, compiles, nested objects named after their field', async () => {
    const python = await generatePython(notes, options);
    await expectGolden(python);
    await expectGolden(await generateJsonSchemas(notes, options));
    const shape = await compiledShape(python[0]);
    expect(shape.classes.map((c) => c.name)).toEqual(['AddNoteParamsAuthor', 'AddNoteParams', 'AddNoteResult', 'NoteViewedParams', 'NotesClient', 'NotesService']);
    const params = Object.fromEntries(shape.classes[1].fields.map((f) => [f.name, [f.annotation, f.default]]));
    expect(params).toMatchObject({
      text: ['str', "Field(..., min_length=1, max_length=500, pattern='^\\\\S')"],
      pinned: ['bool | None', 'None'],
      stars: ['int', 'Field(..., ge=0, le=5)'],
      weight: ['float', 'Field(..., gt=0, lt=1)'],
      kind: ["Literal['memo', 'todo']", null],
      version: ['Literal[2]', null],
      author: ['AddNoteParamsAuthor', null],
      labels: ['list[Annotated[str, Field(max_length=12)]]', 'Field(..., max_length=3)'],
    });
    expect(shape.contracts).toEqual({ notes_contract: { call: 'Contract', service: "'notes'", methods: 'METHODS' } });
  });
});
