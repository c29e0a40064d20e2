import { normalizeAddress } from '@postwave/contracts';

export type AudienceFormat = 'csv' | 'ndjson';
export type AttributeValue = string | number | boolean | null;

export interface AudienceRow {
  readonly line: number;
  readonly address: string;
  readonly domain: string;
  readonly attributes: Record<string, AttributeValue>;
}

export interface AudienceLineError {
  readonly line: number;
  readonly reason: string;
}

export interface ParseBatch {
  readonly rows: AudienceRow[];
  readonly errors: AudienceLineError[];
}

export interface AudienceParserOptions {
  readonly format: AudienceFormat;
  /** column/property holding the address; default: the first of email, address, e-mail, email_address (case-insensitive) */
  readonly addressField?: string;
  /** CSV only (ignored for NDJSON); default: detected from the header line among , ; \t | */
  readonly delimiter?: string;
}

/** Address columns/properties looked for when no addressField is given, in order of preference. */
export const DEFAULT_ADDRESS_FIELDS: readonly string[] = ['email', 'address', 'e-mail', 'email_address'];

/**
 * Upper bound on one CSV record or NDJSON line. An unclosed quote swallows the rest of the file into a
 * single field; without a bound that would hold a multi-gigabyte import in one string.
 */
export const MAX_RECORD_LENGTH = 1_000_000;

const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;
const LF = 10;
const CR = 13;
const QUOTE = 34;
const BOM = 0xfeff;
const MAX_REASON_LENGTH = 200;
const MAX_QUOTED_VALUE_LENGTH = 60;

// ---------------------------------------------------------------------------------------------
// Messages

const quoted = (value: string): string =>
  JSON.stringify(
    value.length > MAX_QUOTED_VALUE_LENGTH ? `${value.slice(0, MAX_QUOTED_VALUE_LENGTH)}…` : value,
  );

const clip = (reason: string): string =>
  reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason;

const quotedList = (values: readonly string[]): string => clip(values.map(quoted).join(', '));

const describeJsonValue = (value: unknown): string =>
  Array.isArray(value)
    ? 'array'
    : value === null
      ? 'null'
      : typeof value === 'object'
        ? 'object'
        : JSON.stringify(value);

// ---------------------------------------------------------------------------------------------
// Address column/property selection

/**
 * Ranks a column/property name as the address field: lower is better, -1 is "not an address field".
 * An exact-case match beats a case-insensitive one, so `email` wins over `EMAIL` in the same header.
 */
function addressRanker(addressField: string | undefined): (name: string) => number {
  const wanted = addressField === undefined ? DEFAULT_ADDRESS_FIELDS : [addressField];
  const lowered = wanted.map((w) => w.toLowerCase());
  return (name) => {
    const exact = wanted.indexOf(name);
    if (exact !== -1) return 2 * exact;
    const loose = lowered.indexOf(name.toLowerCase());
    return loose === -1 ? -1 : 2 * loose + 1;
  };
}

/** Index of the best-ranked name (the first one on ties), or -1. */
function pickAddressIndex(names: readonly string[], rank: (name: string) => number): number {
  let best = -1;
  let bestRank = Infinity;
  for (let i = 0; i < names.length; i++) {
    const r = rank(names[i] ?? '');
    if (r !== -1 && r < bestRank) {
      best = i;
      bestRank = r;
    }
  }
  return best;
}

/** `__proto__` is a legitimate column name; a plain assignment would set the prototype instead. */
function setAttribute(target: Record<string, AttributeValue>, key: string, value: AttributeValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

// ---------------------------------------------------------------------------------------------
// CSV tokenizer

type CsvProblemKind = 'stray-quote-unquoted' | 'stray-quote-quoted' | 'unterminated' | 'too-long';

interface CsvProblem {
  readonly kind: CsvProblemKind;
  /** 0-based field index within the record, when known. */
  readonly field: number | undefined;
}

type RecordSink = (fields: string[], line: number, problem: CsvProblem | undefined) => void;

/** Where the tokenizer stands inside the current record; persists across chunks. */
const Field = {
  Start: 0,
  Unquoted: 1,
  Quoted: 2,
  /** Just read a quote inside a quoted field: either a `""` escape or the closing quote. */
  QuoteInQuoted: 3,
  AfterQuote: 4,
} as const;
type Field = (typeof Field)[keyof typeof Field];

/**
 * Counts candidate delimiters outside quotes in the header line; the most frequent wins, ties go to
 * the earlier candidate, and a header without any (a single column) means a comma.
 */
function detectDelimiter(header: string): string {
  const counts = new Map<string, number>(DELIMITER_CANDIDATES.map((d) => [d, 0]));
  let inQuotes = false;
  for (const ch of header) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes) {
      const count = counts.get(ch);
      if (count !== undefined) counts.set(ch, count + 1);
    }
  }
  let best = ',';
  let bestCount = 0;
  for (const [delimiter, count] of counts) {
    if (count > bestCount) [best, bestCount] = [delimiter, count];
  }
  return best;
}

/**
 * RFC 4180 tokenizer that accepts text in arbitrary chunks. Lines without quotes (the common case)
 * are sliced and split in one go; a record containing a quote, or one cut by the end of the chunk,
 * goes through a resumable state machine that keeps the partial record (not the raw text), so no
 * input is ever scanned twice.
 *
 * Strict about quotes: a `"` inside an unquoted field, or anything but a delimiter or line break
 * after a closing quote, makes the record a line error (guessing what the author meant could
 * silently shift columns). A record starts at its first physical line and ends at a line feed
 * outside quotes; a CR before that line feed is dropped.
 */
class CsvTokenizer {
  private delim: string | undefined;
  private delimCode = 0;
  /** Text held back until the header line is complete and the delimiter can be detected. */
  private sniffed = '';
  private sniffPos = 0;
  private sniffInQuotes = false;
  private sniffContent = false;

  private line = 1;
  private inRecord = false;
  private recordLine = 0;
  private recordLength = 0;
  private recordQuoted = false;
  private discarding = false;
  private problem: CsvProblem | undefined;
  private fields: string[] = [];
  private field = '';
  private state: Field = Field.Start;
  private crAfterQuote = false;

  constructor(
    delimiter: string | undefined,
    private readonly sink: RecordSink,
  ) {
    if (delimiter !== undefined) this.useDelimiter(delimiter);
  }

  feed(chunk: string): void {
    if (this.delim === undefined) {
      this.sniffed += chunk;
      if (!this.headerComplete() && this.sniffed.length <= MAX_RECORD_LENGTH) return;
      this.releaseSniffed();
      return;
    }
    this.scan(chunk);
  }

  finish(): void {
    if (this.delim === undefined) this.releaseSniffed();
    if (!this.inRecord) return;
    if (this.state === Field.Quoted) {
      this.problem = { kind: 'unterminated', field: this.discarding ? undefined : this.fields.length };
      this.endField();
    } else {
      if (this.state === Field.Unquoted) this.field = stripCr(this.field);
      this.endField();
    }
    this.emitRecord();
  }

  private useDelimiter(delimiter: string): void {
    this.delim = delimiter;
    this.delimCode = delimiter.charCodeAt(0);
  }

  private releaseSniffed(): void {
    const text = this.sniffed;
    this.sniffed = '';
    this.useDelimiter(detectDelimiter(text.slice(0, this.sniffPos)));
    this.scan(text);
  }

  /** Advances over held-back text until a line feed outside quotes ends a non-blank line. */
  private headerComplete(): boolean {
    const text = this.sniffed;
    for (let i = this.sniffPos; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        this.sniffInQuotes = !this.sniffInQuotes;
        this.sniffContent = true;
      } else if (!this.sniffInQuotes) {
        if (c === LF && this.sniffContent) {
          this.sniffPos = i;
          return true;
        }
        if (c !== LF && c !== CR) this.sniffContent = true;
      }
    }
    this.sniffPos = text.length;
    return false;
  }

  private scan(buf: string): void {
    const n = buf.length;
    const delim = this.delim ?? ',';
    let pos = 0;
    // Position of the next quote at or after pos (-1: none left); found once per chunk, not per line.
    let nextQuote = -2;
    while (pos < n) {
      if (!this.inRecord) {
        const nl = buf.indexOf('\n', pos);
        if (nl !== -1 && nl - pos <= MAX_RECORD_LENGTH) {
          if (nextQuote !== -1 && nextQuote < pos) nextQuote = buf.indexOf('"', pos);
          if (nextQuote === -1 || nextQuote > nl) {
            const end = nl > pos && buf.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
            if (end > pos) this.sink(buf.slice(pos, end).split(delim), this.line, undefined);
            this.line++;
            pos = nl + 1;
            continue;
          }
        }
        this.startRecord();
      }
      pos = this.scanRecord(buf, pos);
    }
  }

  private startRecord(): void {
    this.inRecord = true;
    this.recordLine = this.line;
    this.recordLength = 0;
    this.recordQuoted = false;
    this.discarding = false;
    this.problem = undefined;
    this.fields = [];
    this.field = '';
    this.state = Field.Start;
    this.crAfterQuote = false;
  }

  /** Consumes the current record up to and including its line feed; returns the next position. */
  private scanRecord(buf: string, start: number): number {
    const n = buf.length;
    const d = this.delimCode;
    let i = start;
    while (i < n) {
      switch (this.state) {
        case Field.Start:
          if (buf.charCodeAt(i) === QUOTE) {
            this.state = Field.Quoted;
            this.recordQuoted = true;
            i++;
          } else {
            this.state = Field.Unquoted;
          }
          break;
        case Field.Unquoted: {
          const from = i;
          let c = 0;
          for (; i < n; i++) {
            c = buf.charCodeAt(i);
            if (c === d || c === LF) break;
            if (c === QUOTE) this.report('stray-quote-unquoted');
          }
          this.append(buf, from, i);
          if (i === n) return n;
          if (c === LF) {
            this.field = stripCr(this.field);
            return this.endRecord(i);
          }
          this.endField();
          this.state = Field.Start;
          i++;
          break;
        }
        case Field.Quoted: {
          const from = i;
          for (; i < n; i++) {
            const c = buf.charCodeAt(i);
            if (c === QUOTE) break;
            if (c === LF) this.line++;
          }
          this.append(buf, from, i);
          if (i === n) return n;
          this.state = Field.QuoteInQuoted;
          i++;
          break;
        }
        case Field.QuoteInQuoted:
          if (buf.charCodeAt(i) === QUOTE) {
            this.append(buf, i, i + 1);
            this.state = Field.Quoted;
            i++;
          } else {
            this.state = Field.AfterQuote;
          }
          break;
        case Field.AfterQuote: {
          const c = buf.charCodeAt(i);
          if (c === LF) return this.endRecord(i);
          if (c === d) {
            if (this.crAfterQuote) this.report('stray-quote-quoted');
            this.endField();
            this.state = Field.Start;
          } else if (c === CR && !this.crAfterQuote) {
            this.crAfterQuote = true;
          } else {
            this.report('stray-quote-quoted');
          }
          i++;
          break;
        }
      }
    }
    return n;
  }

  private report(kind: CsvProblemKind): void {
    if (this.problem === undefined) this.problem = { kind, field: this.fields.length };
  }

  private append(buf: string, from: number, to: number): void {
    if (to === from || this.discarding) return;
    this.recordLength += to - from;
    if (this.recordLength > MAX_RECORD_LENGTH) {
      this.discarding = true;
      this.problem = { kind: 'too-long', field: undefined };
      this.fields = [];
      this.field = '';
      return;
    }
    this.field += buf.slice(from, to);
  }

  private endField(): void {
    if (!this.discarding) this.fields.push(this.field);
    this.field = '';
  }

  private endRecord(lf: number): number {
    this.endField();
    this.line++;
    this.emitRecord();
    return lf + 1;
  }

  private emitRecord(): void {
    this.inRecord = false;
    const blank =
      !this.recordQuoted && this.problem === undefined && this.fields.length === 1 && this.fields[0] === '';
    if (!blank) this.sink(this.fields, this.recordLine, this.problem);
  }
}

const stripCr = (s: string): string => (s.charCodeAt(s.length - 1) === CR ? s.slice(0, -1) : s);

// ---------------------------------------------------------------------------------------------
// NDJSON line splitter

type LineSink = (text: string, line: number, tooLong: boolean) => void;

/** Splits chunks into lines, carrying only the unfinished last line from one chunk to the next. */
class LineSplitter {
  private carry = '';
  private tooLong = false;
  private line = 1;

  constructor(private readonly sink: LineSink) {}

  feed(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      this.emit(this.carry === '' ? piece : this.carry + piece);
      this.carry = '';
      start = nl + 1;
    }
    if (start < chunk.length) this.hold(chunk.slice(start));
  }

  finish(): void {
    if (this.carry !== '' || this.tooLong) this.emit(this.carry);
    this.carry = '';
  }

  private hold(rest: string): void {
    if (this.tooLong) return;
    if (this.carry.length + rest.length > MAX_RECORD_LENGTH) {
      this.tooLong = true;
      this.carry = '';
    } else {
      this.carry += rest;
    }
  }

  private emit(text: string): void {
    const tooLong = this.tooLong || text.length > MAX_RECORD_LENGTH;
    this.tooLong = false;
    this.sink(tooLong ? '' : text, this.line++, tooLong);
  }
}

// ---------------------------------------------------------------------------------------------
// Header

interface CsvHeader {
  readonly width: number;
  readonly names: readonly string[];
  readonly addressIndex: number;
  /** Attribute names and the field index each one is read from, in header order. */
  readonly attributeNames: readonly string[];
  readonly attributeIndexes: readonly number[];
}

type HeaderCheck =
  { readonly ok: true; readonly header: CsvHeader } | { readonly ok: false; readonly fatal: string };

function interpretHeader(
  fields: readonly string[],
  rank: (name: string) => number,
  addressField: string | undefined,
): HeaderCheck {
  const names = fields.map((f) => f.trim());
  const empty = names.flatMap((name, i) => (name === '' ? [i + 1] : []));
  if (empty.length > 0) {
    return {
      ok: false,
      fatal: clip(
        empty.length === 1
          ? `CSV header has an empty column name (column ${empty[0]})`
          : `CSV header has empty column names (columns ${empty.join(', ')})`,
      ),
    };
  }
  const duplicates = [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
  if (duplicates.length > 0) {
    return { ok: false, fatal: clip(`CSV header has duplicate column names: ${quotedList(duplicates)}`) };
  }
  const addressIndex = pickAddressIndex(names, rank);
  if (addressIndex === -1) {
    const missing =
      addressField === undefined
        ? `address column (expected one of ${DEFAULT_ADDRESS_FIELDS.join(', ')}, case-insensitive)`
        : `address column ${quoted(addressField)}`;
    return { ok: false, fatal: clip(`CSV header has no ${missing}; got ${quotedList(names)}`) };
  }
  const attributeIndexes = names.flatMap((_, i) => (i === addressIndex ? [] : [i]));
  return {
    ok: true,
    header: {
      width: names.length,
      names,
      addressIndex,
      attributeIndexes,
      attributeNames: attributeIndexes.map((i) => names[i] ?? ''),
    },
  };
}

function describeCsvProblem(problem: CsvProblem, names: readonly string[] | undefined): string {
  const name = problem.field === undefined ? undefined : names?.[problem.field];
  const where =
    name !== undefined
      ? ` (column ${quoted(name)})`
      : problem.field !== undefined
        ? ` (field ${problem.field + 1})`
        : '';
  switch (problem.kind) {
    case 'stray-quote-unquoted':
      return `stray quote in unquoted field${where}; a field containing quotes must itself be quoted`;
    case 'stray-quote-quoted':
      return `stray quote in quoted field${where}; quotes inside a quoted field must be doubled ("")`;
    case 'unterminated':
      return `unterminated quoted field${where}`;
    case 'too-long':
      return `record is longer than ${MAX_RECORD_LENGTH} characters (is a quote left open?)`;
  }
}

// ---------------------------------------------------------------------------------------------
// Parser

const emptyBatch = (): ParseBatch => ({ rows: [], errors: [] });

function validateOptions(options: AudienceParserOptions): void {
  if (options.format !== 'csv' && options.format !== 'ndjson') {
    throw new Error(`format: must be "csv" or "ndjson" (got ${JSON.stringify(options.format)})`);
  }
  if (options.addressField !== undefined && options.addressField.trim() === '') {
    throw new Error('addressField: must not be empty');
  }
  const d = options.delimiter;
  if (
    options.format === 'csv' &&
    d !== undefined &&
    (d.length !== 1 || d === '"' || d === '\n' || d === '\r')
  ) {
    throw new Error(
      `delimiter: must be a single character other than a quote or line break (got ${JSON.stringify(d)})`,
    );
  }
}

/**
 * Incremental parser for audience imports (CSV or NDJSON). Feed it decoded text in chunks of any
 * size; each call returns the rows and line errors completed so far, so memory stays bounded by one
 * record however large the file.
 */
export class AudienceParser {
  private readonly csv: CsvTokenizer | undefined;
  private readonly ndjson: LineSplitter | undefined;
  private readonly addressField: string | undefined;
  private readonly rank: (name: string) => number;
  /** NDJSON: the rank of each property name seen so far (objects repeat the same keys). */
  private readonly rankCache = new Map<string, number>();
  private header: CsvHeader | undefined;
  private fatalReason: string | undefined;
  private started = false;
  private ended = false;
  private batch = emptyBatch();

  constructor(options: AudienceParserOptions) {
    validateOptions(options);
    this.addressField = options.addressField?.trim();
    this.rank = addressRanker(this.addressField);
    if (options.format === 'csv') {
      this.csv = new CsvTokenizer(options.delimiter, (fields, line, problem) =>
        this.onRecord(fields, line, problem),
      );
    } else {
      this.ndjson = new LineSplitter((text, line, tooLong) => this.onLine(text, line, tooLong));
    }
  }

  /** CSV: the header columns once known (without the address column); NDJSON: undefined. */
  get columns(): readonly string[] | undefined {
    return this.header?.attributeNames;
  }

  /** A file-level problem that makes every line useless; once set, push/end return no rows. */
  get fatal(): string | undefined {
    return this.fatalReason;
  }

  /** Parses a chunk; returns the rows and errors of the records it completed. */
  push(chunk: string): ParseBatch {
    if (this.ended) throw new Error('AudienceParser: push() called after end()');
    if (this.fatalReason !== undefined || chunk === '') return emptyBatch();
    let text = chunk;
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === BOM) text = text.slice(1);
    }
    this.csv?.feed(text);
    this.ndjson?.feed(text);
    return this.takeBatch();
  }

  /** Flushes the last record (which needs no trailing line break); reports an unterminated quote. */
  end(): ParseBatch {
    if (this.ended) return emptyBatch();
    this.ended = true;
    if (this.fatalReason !== undefined) return emptyBatch();
    this.csv?.finish();
    this.ndjson?.finish();
    if (this.csv !== undefined && this.header === undefined && this.fatalReason === undefined) {
      this.fatalReason = 'CSV file is empty: a header row is required';
    }
    return this.takeBatch();
  }

  private takeBatch(): ParseBatch {
    if (this.fatalReason !== undefined) return emptyBatch();
    // Always a fresh object: callers may hold on to earlier batches.
    const batch = this.batch;
    this.batch = emptyBatch();
    return batch;
  }

  private error(line: number, reason: string): void {
    this.batch.errors.push({ line, reason: clip(reason) });
  }

  private onRecord(fields: string[], line: number, problem: CsvProblem | undefined): void {
    if (this.fatalReason !== undefined) return;
    const header = this.header;
    if (header === undefined) {
      const check =
        problem !== undefined
          ? {
              ok: false as const,
              fatal: `CSV header (line ${line}): ${describeCsvProblem(problem, undefined)}`,
            }
          : interpretHeader(fields, this.rank, this.addressField);
      if (check.ok) this.header = check.header;
      else this.fatalReason = clip(check.fatal);
      return;
    }
    if (problem !== undefined) return this.error(line, describeCsvProblem(problem, header.names));
    if (fields.length !== header.width) {
      return this.error(line, `expected ${header.width} fields, got ${fields.length}`);
    }
    const check = normalizeAddress(fields[header.addressIndex]);
    if (!check.ok) return this.addressError(line, fields[header.addressIndex] ?? '', check.problem);
    const attributes: Record<string, AttributeValue> = {};
    const { attributeNames, attributeIndexes } = header;
    for (let k = 0; k < attributeIndexes.length; k++) {
      setAttribute(attributes, attributeNames[k] ?? '', fields[attributeIndexes[k] ?? 0] ?? '');
    }
    this.batch.rows.push({ line, address: check.address, domain: check.domain, attributes });
  }

  private onLine(text: string, line: number, tooLong: boolean): void {
    if (tooLong) return this.error(line, `line is longer than ${MAX_RECORD_LENGTH} characters`);
    if (text.charCodeAt(0) !== 0x7b /* { */ && text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return this.error(line, `invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.error(line, 'not a JSON object');
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    const addressKey = keys[pickAddressIndex(keys, (key) => this.cachedRank(key))];
    const raw = addressKey === undefined ? undefined : record[addressKey];
    if (raw === undefined || raw === null) return this.error(line, 'address is missing');
    if (typeof raw !== 'string') {
      return this.error(
        line,
        `property ${quoted(addressKey ?? '')} must be a string (got ${describeJsonValue(raw)})`,
      );
    }
    const check = normalizeAddress(raw);
    if (!check.ok) return this.addressError(line, raw, check.problem);
    const attributes: Record<string, AttributeValue> = {};
    for (const key of keys) {
      if (key === addressKey) continue;
      const v = record[key];
      if (typeof v === 'object' && v !== null) {
        return this.error(
          line,
          `property ${quoted(key)} must be a string, number, boolean or null (got ${describeJsonValue(v)})`,
        );
      }
      setAttribute(attributes, key, v as AttributeValue);
    }
    this.batch.rows.push({ line, address: check.address, domain: check.domain, attributes });
  }

  private cachedRank(key: string): number {
    let r = this.rankCache.get(key);
    if (r === undefined) {
      r = this.rank(key);
      // Property names come from the file; bound the cache in case every line invents new ones.
      if (this.rankCache.size < 10_000) this.rankCache.set(key, r);
    }
    return r;
  }

  private addressError(line: number, raw: string, problem: 'empty' | 'syntax'): void {
    this.error(
      line,
      problem === 'empty' ? 'address is missing' : `invalid address syntax: ${quoted(raw.trim())}`,
    );
  }
}
