import {
  AudienceParser,
  MAX_RECORD_LENGTH,
  type AudienceLineError,
  type AudienceParserOptions,
  type AudienceRow,
} from './audience-parser';

interface Parsed {
  readonly rows: AudienceRow[];
  readonly errors: AudienceLineError[];
  readonly columns: readonly string[] | undefined;
  readonly fatal: string | undefined;
}

/** Pushes the chunks in order, then ends, collecting every batch. */
function parseChunks(options: AudienceParserOptions, chunks: readonly string[]): Parsed {
  const parser = new AudienceParser(options);
  const rows: AudienceRow[] = [];
  const errors: AudienceLineError[] = [];
  for (const batch of [...chunks.map((c) => parser.push(c)), parser.end()]) {
    rows.push(...batch.rows);
    errors.push(...batch.errors);
  }
  return { rows, errors, columns: parser.columns, fatal: parser.fatal };
}

const parse = (options: AudienceParserOptions, text: string): Parsed => parseChunks(options, [text]);
const csv = (text: string, options: Partial<AudienceParserOptions> = {}) =>
  parse({ format: 'csv', ...options }, text);
const ndjson = (text: string, options: Partial<AudienceParserOptions> = {}) =>
  parse({ format: 'ndjson', ...options }, text);

const splitAt = (text: string, ...cuts: number[]): string[] =>
  [0, ...cuts, text.length].slice(1).map((end, k) => text.slice([0, ...cuts][k], end));

describe('AudienceParser (CSV)', () => {
  it('returns one row per record with the other columns as string attributes', () => {
    const result = csv('email,firstName,country\nada@example.com,Ada,GB\ngrace@example.com,,US\n');

    expect(result.fatal).toBeUndefined();
    expect(result.columns).toEqual(['firstName', 'country']);
    expect(result.errors).toEqual([]);
    expect(result.rows).toEqual([
      {
        line: 2,
        address: 'ada@example.com',
        domain: 'example.com',
        attributes: { firstName: 'Ada', country: 'GB' },
      },
      {
        line: 3,
        address: 'grace@example.com',
        domain: 'example.com',
        attributes: { firstName: '', country: 'US' },
      },
    ]);
  });

  it('accepts a last record without a trailing line break, and CRLF line endings', () => {
    const result = csv('email,name\r\nada@example.com,Ada\r\ngrace@example.com,Grace');

    expect(result.rows.map((r) => [r.line, r.address, r.attributes['name']])).toEqual([
      [2, 'ada@example.com', 'Ada'],
      [3, 'grace@example.com', 'Grace'],
    ]);
  });

  it('handles quoted fields with escaped quotes, delimiters and line breaks, numbering records by their first line', () => {
    const result = csv(
      [
        'email,note,city',
        '"ada@example.com","says ""hi"", then leaves",London',
        'grace@example.com,"two',
        'lines",Arlington',
        'linus@example.com,"a\r\nb\r\n",Helsinki',
        'ken@example.com,plain,"Murray Hill"',
        '',
      ].join('\n'),
    );

    expect(result.errors).toEqual([]);
    expect(result.rows.map((r) => ({ line: r.line, address: r.address, ...r.attributes }))).toEqual([
      { line: 2, address: 'ada@example.com', note: 'says "hi", then leaves', city: 'London' },
      { line: 3, address: 'grace@example.com', note: 'two\nlines', city: 'Arlington' },
      { line: 5, address: 'linus@example.com', note: 'a\r\nb\r\n', city: 'Helsinki' },
      { line: 8, address: 'ken@example.com', note: 'plain', city: 'Murray Hill' },
    ]);
  });

  it('skips blank lines silently but keeps counting them', () => {
    const result = csv('\n\nemail,name\n\nada@example.com,Ada\r\n\r\n\ngrace@example.com,Grace\n\n');

    expect(result.errors).toEqual([]);
    expect(result.rows.map((r) => r.line)).toEqual([5, 8]);
  });

  it('strips a UTF-8 byte order mark, even when it arrives alone in the first chunk', () => {
    const whole = csv('\uFEFFemail,name\nada@example.com,Ada\n');
    const split = parseChunks({ format: 'csv' }, ['\uFEFF', 'email,name\nada@example.com,Ada\n']);

    for (const result of [whole, split]) {
      expect(result.fatal).toBeUndefined();
      expect(result.columns).toEqual(['name']);
      expect(result.rows).toHaveLength(1);
    }
  });

  it.each([
    ['semicolon', ';', 'email;firstName;city\nada@example.com;Ada;"London, UK"\n'],
    ['tab', '\t', 'email\tfirstName\tcity\nada@example.com\tAda\tLondon, UK\n'],
    ['pipe', '|', 'email|firstName|city\nada@example.com|Ada|London, UK\n'],
    ['comma', ',', 'email,firstName,city\nada@example.com,Ada,"London, UK"\n'],
  ])('detects a %s delimiter from the header line', (_name, _delimiter, text) => {
    const result = csv(text);

    expect(result.errors).toEqual([]);
    expect(result.columns).toEqual(['firstName', 'city']);
    expect(result.rows[0]?.attributes).toEqual({ firstName: 'Ada', city: 'London, UK' });
  });

  it('ignores delimiters inside quoted header names when detecting, even when the header spans chunks', () => {
    const text = '"email";"name, full";"a,b,c"\nada@example.com;Ada Lovelace;x\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const result = parseChunks({ format: 'csv' }, splitAt(text, cut));
      expect(result.columns).toEqual(['name, full', 'a,b,c']);
      expect(result.rows).toHaveLength(1);
    }
  });

  it('uses an explicit delimiter instead of detecting one', () => {
    const text = 'email,name;x;y\nada@example.com,Ada;L;M\n';

    expect(csv(text).fatal).toMatch(/^CSV header has no address column/);
    expect(csv(text, { delimiter: ',' }).rows[0]?.attributes).toEqual({ 'name;x;y': 'Ada;L;M' });
  });

  it('treats a header without any candidate delimiter as a single address column', () => {
    const result = csv('Email\nada@example.com\n');

    expect(result.columns).toEqual([]);
    expect(result.rows).toEqual([
      { line: 2, address: 'ada@example.com', domain: 'example.com', attributes: {} },
    ]);
  });

  it('normalizes addresses: trims, lower-cases the domain, converts IDN to punycode', () => {
    const result = csv('email,name\n  Ada@EXAMPLE.com ,Ada\nuser@exämple.se,U\n');

    expect(result.rows.map((r) => [r.address, r.domain])).toEqual([
      ['Ada@example.com', 'example.com'],
      ['user@xn--exmple-cua.se', 'xn--exmple-cua.se'],
    ]);
  });

  it('reports bad lines with their line numbers and still returns the good ones', () => {
    const result = csv(
      [
        'email,firstName,country',
        'ada@example.com,Ada,GB',
        'foo@,Foo,XX',
        ',Nobody,XX',
        'short@example.com,Short',
        'grace@example.com,Grace,US',
        'quote@example.com,Say "hi",XX',
        'after@example.com,"quoted"junk,XX',
        'long@example.com,Long,XX,extra',
        'linus@example.com,Linus,FI',
      ].join('\n'),
    );

    expect(result.rows.map((r) => [r.line, r.address])).toEqual([
      [2, 'ada@example.com'],
      [6, 'grace@example.com'],
      [10, 'linus@example.com'],
    ]);
    expect(result.errors).toEqual([
      { line: 3, reason: 'invalid address syntax: "foo@"' },
      { line: 4, reason: 'address is missing' },
      { line: 5, reason: 'expected 3 fields, got 2' },
      {
        line: 7,
        reason:
          'stray quote in unquoted field (column "firstName"); a field containing quotes must itself be quoted',
      },
      {
        line: 8,
        reason:
          'stray quote in quoted field (column "firstName"); quotes inside a quoted field must be doubled ("")',
      },
      { line: 9, reason: 'expected 3 fields, got 4' },
    ]);
  });

  it('keeps a record with a stray quote to its own line instead of opening a quoted section', () => {
    const result = csv('email,name\nbad@example.com,5" disk\nada@example.com,Ada\n');

    expect(result.errors.map((e) => e.line)).toEqual([2]);
    expect(result.rows.map((r) => r.line)).toEqual([3]);
  });

  it('reports a quoted field left open at the end of the input on the line where its record starts', () => {
    const result = csv('email,note\nada@example.com,Ada\ngrace@example.com,"never\nclosed\n');

    expect(result.rows.map((r) => r.address)).toEqual(['ada@example.com']);
    expect(result.errors).toEqual([{ line: 3, reason: 'unterminated quoted field (column "note")' }]);
  });

  it('bounds the memory held by a quote that is never closed', () => {
    const filler = 'x'.repeat(1000) + '\n';
    const chunks = [
      'email,note\nada@example.com,"',
      ...Array.from({ length: MAX_RECORD_LENGTH / 900 }, () => filler),
    ];
    const result = parseChunks({ format: 'csv' }, chunks);

    expect(result.rows).toEqual([]);
    expect(result.errors).toEqual([{ line: 2, reason: 'unterminated quoted field' }]);
  });

  it('reports an over-long record that does close, then carries on', () => {
    const text = `email,note\nada@example.com,"${'x'.repeat(MAX_RECORD_LENGTH)}"\ngrace@example.com,ok\n`;
    const result = csv(text);

    expect(result.errors).toEqual([
      { line: 2, reason: `record is longer than ${MAX_RECORD_LENGTH} characters (is a quote left open?)` },
    ]);
    expect(result.rows.map((r) => r.line)).toEqual([3]);
  });

  it('keeps values as-is and preserves a __proto__ column as an ordinary attribute', () => {
    const result = csv('email,__proto__, spaced \nada@example.com, x ,  \n');
    const attributes = result.rows[0]?.attributes ?? {};

    expect(result.columns).toEqual(['__proto__', 'spaced']);
    expect(Object.keys(attributes)).toEqual(['__proto__', 'spaced']);
    expect(attributes['__proto__']).toBe(' x ');
    expect(attributes['spaced']).toBe('  ');
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
  });

  describe('address column', () => {
    it('prefers email over address, whatever the column order and case', () => {
      const result = csv('Address,EMAIL\n1 Main St,ada@example.com\n');

      expect(result.columns).toEqual(['Address']);
      expect(result.rows[0]?.address).toBe('ada@example.com');
    });

    it.each(['e-mail', 'Email_Address'])('recognizes %s', (column) => {
      expect(csv(`name,${column}\nAda,ada@example.com\n`).rows[0]?.address).toBe('ada@example.com');
    });

    it('uses a custom addressField, matched case-insensitively, leaving email as an attribute', () => {
      const result = csv('email,Contact\nold@example.com,ada@example.com\n', { addressField: 'contact' });

      expect(result.columns).toEqual(['email']);
      expect(result.rows).toEqual([
        {
          line: 2,
          address: 'ada@example.com',
          domain: 'example.com',
          attributes: { email: 'old@example.com' },
        },
      ]);
    });
  });

  describe('fatal header problems', () => {
    it('reports a header without an address column and returns nothing afterwards', () => {
      const parser = new AudienceParser({ format: 'csv' });

      expect(parser.push('name,phone\nAda,123\n')).toEqual({ rows: [], errors: [] });
      expect(parser.fatal).toBe(
        'CSV header has no address column (expected one of email, address, e-mail, email_address, case-insensitive); got "name", "phone"',
      );
      expect(parser.push('Grace,456\n')).toEqual({ rows: [], errors: [] });
      expect(parser.end()).toEqual({ rows: [], errors: [] });
    });

    it('names a missing custom address column', () => {
      expect(csv('email,name\nada@example.com,Ada\n', { addressField: 'contact' }).fatal).toBe(
        'CSV header has no address column "contact"; got "email", "name"',
      );
    });

    it.each([
      ['email,name,name,x,x\n', 'CSV header has duplicate column names: "name", "x"'],
      ['email, name ,name\n', 'CSV header has duplicate column names: "name"'],
      ['email,,name,\n', 'CSV header has empty column names (columns 2, 4)'],
      ['email, \n', 'CSV header has an empty column name (column 2)'],
      [
        'email,"na"me\n',
        'CSV header (line 1): stray quote in quoted field (field 2); quotes inside a quoted field must be doubled ("")',
      ],
      ['email,"name\n', 'CSV header (line 1): unterminated quoted field (field 2)'],
      ['', 'CSV file is empty: a header row is required'],
      ['\r\n\n', 'CSV file is empty: a header row is required'],
    ])('rejects header %j', (text, fatal) => {
      const result = csv(text);
      expect(result.fatal).toBe(fatal);
      expect(result.columns).toBeUndefined();
    });

    it('accepts a header-only file', () => {
      expect(csv('email,name\n')).toEqual({ rows: [], errors: [], columns: ['name'], fatal: undefined });
    });
  });

  describe('chunk boundaries', () => {
    const tricky = [
      '\uFEFFemail;note;city\r\n',
      '"ada@example.com";"said ""hi""; left";London\r\n',
      '\r\n',
      'grace@example.com;"line one\r\nline two";"Arling""ton"\r\n',
      'foo@;x;y\r\n',
      'user@exämple.se;"";\r\n',
      'short@example.com;only\n',
      'q@example.com;a"b;c\r\n',
      'r@example.com;"a"b;c\r\n',
      'last@example.com;"end";"x"',
    ].join('');
    const reference = csv(tricky);

    it('parses the sample as expected in one piece', () => {
      expect(reference.fatal).toBeUndefined();
      expect(reference.columns).toEqual(['note', 'city']);
      expect(reference.rows.map((r) => ({ line: r.line, address: r.address, ...r.attributes }))).toEqual([
        { line: 2, address: 'ada@example.com', note: 'said "hi"; left', city: 'London' },
        { line: 4, address: 'grace@example.com', note: 'line one\r\nline two', city: 'Arling"ton' },
        { line: 7, address: 'user@xn--exmple-cua.se', note: '', city: '' },
        { line: 11, address: 'last@example.com', note: 'end', city: 'x' },
      ]);
      expect(reference.errors.map((e) => [e.line, e.reason.slice(0, 30)])).toEqual([
        [6, 'invalid address syntax: "foo@"'],
        [8, 'expected 3 fields, got 2'],
        [9, 'stray quote in unquoted field '],
        [10, 'stray quote in quoted field (c'],
      ]);
    });

    it('gives the same result for every split into two or three chunks', () => {
      for (let a = 0; a <= tricky.length; a++) {
        for (let b = a; b <= tricky.length; b += 7) {
          expect(parseChunks({ format: 'csv' }, splitAt(tricky, a, b))).toEqual(reference);
        }
      }
    });

    it('gives the same result one character at a time', () => {
      expect(parseChunks({ format: 'csv' }, [...tricky])).toEqual(reference);
    });

    it('returns rows as soon as the chunk that completes them arrives', () => {
      const parser = new AudienceParser({ format: 'csv' });

      expect(parser.push('email,name\nada@example.com,A')).toEqual({ rows: [], errors: [] });
      expect(parser.columns).toEqual(['name']);
      expect(parser.push('da\ngrace@example.com,"Gr').rows.map((r) => r.attributes['name'])).toEqual(['Ada']);
      expect(parser.push('ace"\r').rows).toEqual([]);
      expect(parser.push('\n').rows.map((r) => r.attributes['name'])).toEqual(['Grace']);
      expect(parser.end()).toEqual({ rows: [], errors: [] });
    });
  });
});

describe('AudienceParser (NDJSON)', () => {
  it('returns one row per object with the other properties as attributes', () => {
    const result = ndjson(
      '{"email":"ada@example.com","firstName":"Ada","age":36,"vip":true,"nick":null}\n' +
        '\n' +
        '  \r\n' +
        '{"Email":"grace@EXAMPLE.com"}\r\n',
    );

    expect(result.columns).toBeUndefined();
    expect(result.errors).toEqual([]);
    expect(result.rows).toEqual([
      {
        line: 1,
        address: 'ada@example.com',
        domain: 'example.com',
        attributes: { firstName: 'Ada', age: 36, vip: true, nick: null },
      },
      { line: 4, address: 'grace@example.com', domain: 'example.com', attributes: {} },
    ]);
  });

  it('reports bad lines and still returns the good ones', () => {
    const result = ndjson(
      [
        '{"email":"ada@example.com","tags":["a","b"]}',
        '{"email":"grace@example.com","profile":{"x":1}}',
        '{"email":"foo@"}',
        '{"name":"no address"}',
        '{"email":null}',
        '{"email":42}',
        '[1,2]',
        '"just a string"',
        '{"email":',
        '{"email":"linus@example.com","lang":"fi"}',
      ].join('\n'),
    );

    expect(result.rows.map((r) => [r.line, r.address])).toEqual([[10, 'linus@example.com']]);
    expect(result.errors.map((e) => e.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(result.errors.slice(0, 8).map((e) => e.reason)).toEqual([
      'property "tags" must be a string, number, boolean or null (got array)',
      'property "profile" must be a string, number, boolean or null (got object)',
      'invalid address syntax: "foo@"',
      'address is missing',
      'address is missing',
      'property "email" must be a string (got 42)',
      'not a JSON object',
      'not a JSON object',
    ]);
    expect(result.errors[8]?.reason).toMatch(/^invalid JSON: .+/);
  });

  it('uses a custom addressField and keeps email as an attribute', () => {
    const result = ndjson('{"email":"old@example.com","contact":"ada@example.com"}\n', {
      addressField: 'Contact',
    });

    expect(result.rows).toEqual([
      {
        line: 1,
        address: 'ada@example.com',
        domain: 'example.com',
        attributes: { email: 'old@example.com' },
      },
    ]);
  });

  it('gives the same result for every split into two chunks', () => {
    const text =
      '{"email":"ada@example.com","n":1}\r\n\n{"email":"user@exämple.se","s":"a\\nb"}\n{"email":1}\n{"email":"x@y.z"}';
    const reference = ndjson(text);

    expect(reference.rows.map((r) => [r.line, r.address])).toEqual([
      [1, 'ada@example.com'],
      [3, 'user@xn--exmple-cua.se'],
      [5, 'x@y.z'],
    ]);
    expect(reference.errors.map((e) => e.line)).toEqual([4]);
    for (let cut = 0; cut <= text.length; cut++) {
      expect(parse({ format: 'ndjson' }, text)).toEqual(
        parseChunks({ format: 'ndjson' }, splitAt(text, cut)),
      );
    }
  });

  it('reports an over-long line without holding it', () => {
    const chunks = [
      '{"email":"',
      ...Array.from({ length: 11 }, () => 'x'.repeat(100_000)),
      '@example.com"}\n{"email":"ada@example.com"}',
    ];
    const result = parseChunks({ format: 'ndjson' }, chunks);

    expect(result.errors).toEqual([
      { line: 1, reason: `line is longer than ${MAX_RECORD_LENGTH} characters` },
    ]);
    expect(result.rows.map((r) => r.line)).toEqual([2]);
  });

  it('keeps a __proto__ property as an ordinary attribute', () => {
    const attributes = ndjson('{"email":"ada@example.com","__proto__":"x"}').rows[0]?.attributes ?? {};

    expect(Object.keys(attributes)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
  });
});

describe('AudienceParser options and lifecycle', () => {
  it.each([
    [{ format: 'xml' }, 'format: must be "csv" or "ndjson" (got "xml")'],
    [
      { format: 'csv', delimiter: ';;' },
      'delimiter: must be a single character other than a quote or line break (got ";;")',
    ],
    [
      { format: 'csv', delimiter: '"' },
      'delimiter: must be a single character other than a quote or line break (got "\\"")',
    ],
    [{ format: 'csv', addressField: ' ' }, 'addressField: must not be empty'],
  ])('rejects options %j', (options, message) => {
    expect(() => new AudienceParser(options as AudienceParserOptions)).toThrow(message);
  });

  it('refuses push() after end()', () => {
    const parser = new AudienceParser({ format: 'ndjson' });
    parser.end();

    expect(() => parser.push('{}')).toThrow('push() called after end()');
    expect(parser.end()).toEqual({ rows: [], errors: [] });
  });
});
