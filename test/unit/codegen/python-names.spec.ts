import { pythonFieldName, pythonLiteral, pythonString, snakeCase } from '../../../lib/codegen/emit/python-names.js';

describe('Python names', () => {
  it('snake-cases method names as clamator does: an underscore before every capital but a leading one', () => {
    expect(snakeCase('add')).toBe('add');
    expect(snakeCase('createItem')).toBe('create_item');
    expect(snakeCase('getV2Item')).toBe('get_v2_item');
    expect(snakeCase('parseHTTPBody')).toBe('parse_h_t_t_p_body');
  });

  it.each([
    ['inStock', 'in_stock'],
    ['class', 'class_'],
    ['from', 'from_'],
    ['_id', 'field_id'],
    ['__meta', 'field_meta'],
    ['2fa', 'field_2fa'],
    ['content-type', 'content_type'],
    ['modelConfig', 'field_model_config'],
    ['int', 'int_'],
    ['list', 'list_'],
  ])('makes the wire field %j the pydantic-safe attribute %j', (wire, attribute) => {
    expect(pythonFieldName(wire)).toBe(attribute);
  });

  it('writes Python literals that mean the same value', () => {
    expect(pythonString('say "hi"\\n\u00e9')).toBe('"say \\"hi\\"\\\\n\u00e9"');
    expect([true, false, 42, 1.5, 'x'].map(pythonLiteral)).toEqual(['True', 'False', '42', '1.5', '"x"']);
    expect(() => pythonLiteral(Number.NaN)).toThrow('NaN has no Python literal');
  });
});
