using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace OpsBot.Customers;

/// <summary>One problem with an import file: the line it starts on (1 is the header), the column (empty for the whole line) and why.</summary>
public sealed record CsvError(int Line, string Column, string Why)
{
    public override string ToString() => Column.Length == 0 ? $"line {Line}: {Why}" : $"line {Line}, {Column}: {Why}";
}

/// <summary>
/// One valid customer line, normalised: number trimmed and upper-case, <see cref="Segment"/> one of Strategic / Key / Standard,
/// identifiers as <see cref="CustomerIdentifiers.Normalize"/> gives them, country upper-case. Empty optional cells are null / empty.
/// </summary>
public sealed record CustomerImportRow(
    string Number,
    string Name,
    string? LegalName,
    string? Segment,
    string? Industry,
    string? Owner,
    string? Parent,
    bool? Restricted,
    IReadOnlyList<string> Members,
    string? Erp,
    string? Crm,
    IReadOnlyList<string> Domains,
    IReadOnlyList<string> Phones,
    string? Tenant,
    string? Tax,
    string? Country,
    string? Timezone)
{
    /// <summary>Every identifier of the line, for uniqueness checks against the store.</summary>
    public IEnumerable<TypedIdentifier> Identifiers()
    {
        if (Erp is not null) yield return new(IdentifierKind.Erp, Erp);
        if (Crm is not null) yield return new(IdentifierKind.Crm, Crm);
        foreach (var d in Domains) yield return new(IdentifierKind.Domain, d);
        foreach (var p in Phones) yield return new(IdentifierKind.Phone, p);
        if (Tenant is not null) yield return new(IdentifierKind.Tenant, Tenant);
        if (Tax is not null) yield return new(IdentifierKind.Tax, Tax);
    }
}

/// <summary>A line of the file (<see cref="Line"/> is where the record starts): <see cref="Values"/> when valid, otherwise <see cref="Errors"/>.</summary>
public sealed record CsvRow(int Line, CustomerImportRow? Values, IReadOnlyList<CsvError> Errors)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Reads a customer import file (RFC 4180, UTF-8 with or without BOM, CRLF or LF) as it streams: one <see cref="CsvRow"/> per
/// record, never the whole file in memory. A header is required: <c>number,name</c> plus any of the optional
/// <see cref="Columns"/>, in any order; multi-value cells (members, domains, phones) are separated by <c>;</c>. A bad header
/// gives one row for line 1 with its errors and nothing else.
/// </summary>
public static class CustomerCsv
{
    public const int MaxNumber = 32;
    public const int MaxName = 200;
    public const int MaxOther = 200;
    public const char Separator = ';';

    public static readonly IReadOnlyList<string> Required = ["number", "name"];

    public static IReadOnlyList<string> Columns => ColumnNames;

    private static readonly string[] ColumnNames =
    [
        "number", "name", "legal_name", "segment", "industry", "owner", "parent", "restricted", "members", "erp", "crm", "domains",
        "phones", "tenant", "tax", "country", "timezone",
    ];

    private static readonly HashSet<string> MultiValued = ["members", "domains", "phones"];

    private enum Col { Number, Name, LegalName, Segment, Industry, Owner, Parent, Restricted, Members, Erp, Crm, Domains, Phones, Tenant, Tax, Country, Timezone }

    public static async IAsyncEnumerable<CsvRow> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var reader = new RecordReader(stream);
        if (!await reader.ReadAsync(ct))
        {
            yield return new CsvRow(1, null, [new CsvError(1, "", $"The file is empty: the first line must be a header with at least {string.Join(",", Required)}.")]);
            yield break;
        }
        var headerErrors = new List<CsvError>();
        Col[] map = reader.Fatal is not null ? [] : Header(reader, headerErrors);
        if (reader.Fatal is not null) headerErrors.Add(new CsvError(reader.Line, "", reader.Fatal));
        else if (reader.Syntax is { } headerSyntax) headerErrors.Add(new CsvError(reader.Line, "", headerSyntax));
        if (headerErrors.Count > 0)
        {
            yield return new CsvRow(reader.Line, null, headerErrors);
            yield break;
        }
        var firstLineOf = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            var errors = new List<CsvError>();
            var values = Validate(reader, map, firstLineOf, errors);
            yield return new CsvRow(reader.Line, errors.Count == 0 ? values : null, errors);
            if (reader.Fatal is not null) yield break;
        }
    }

    private static Col[] Header(RecordReader reader, List<CsvError> errors)
    {
        var map = new Col[reader.Fields.Count];
        var seen = new HashSet<Col>();
        for (var i = 0; i < reader.Fields.Count; i++)
        {
            if (reader.BadBytes[i] is { } bad)
            {
                errors.Add(new CsvError(reader.Line, "", NotUtf8(bad)));
                continue;
            }
            var name = reader.Fields[i].Trim().ToLowerInvariant();
            if (name.Length == 0)
            {
                errors.Add(new CsvError(reader.Line, "", $"Column {i + 1} of the header has no name (a trailing comma?)."));
                continue;
            }
            var index = Array.IndexOf(ColumnNames, name);
            if (index < 0)
            {
                errors.Add(new CsvError(reader.Line, reader.Fields[i], $"Unknown column '{reader.Fields[i]}'. The columns are {string.Join(",", Columns)} (number and name required)."));
                continue;
            }
            map[i] = (Col)index;
            if (!seen.Add(map[i])) errors.Add(new CsvError(reader.Line, name, $"Column '{name}' appears twice in the header."));
        }
        foreach (var required in Required)
            if (!seen.Contains((Col)Array.IndexOf(ColumnNames, required)))
                errors.Add(new CsvError(reader.Line, required, $"The header has no '{required}' column: the first line must name the columns, at least {string.Join(",", Required)}."));
        return map;
    }

    private static CustomerImportRow? Validate(RecordReader reader, Col[] map, Dictionary<string, int> firstLineOf, List<CsvError> errors)
    {
        var line = reader.Line;
        if (reader.Fatal is { } fatal)
        {
            errors.Add(new CsvError(line, "", fatal));
            return null;
        }
        if (reader.Syntax is { } syntax)
        {
            errors.Add(new CsvError(line, "", syntax));
            return null;
        }
        if (reader.Fields.Count != map.Length)
        {
            errors.Add(new CsvError(line, "", $"This line has {reader.Fields.Count} field(s) but the header has {map.Length}; a value with a comma must be in double quotes."));
            return null;
        }
        var cells = new string?[Columns.Count];
        for (var i = 0; i < map.Length; i++)
        {
            var column = Columns[(int)map[i]];
            if (reader.BadBytes[i] is { } bad)
            {
                errors.Add(new CsvError(line, column, NotUtf8(bad)));
                continue;
            }
            var raw = reader.Fields[i];
            if (Refused(raw, map[i]) is { } why)
            {
                errors.Add(new CsvError(line, column, why));
                continue;
            }
            var value = raw.Trim();
            cells[(int)map[i]] = value.Length == 0 ? null : value;
        }
        if (errors.Count > 0) return null;

        string? Single(Col col, int max)
        {
            var v = cells[(int)col];
            if (v is null) return null;
            if (v.Length > max) errors.Add(new CsvError(line, Columns[(int)col], $"Too long: {v.Length} characters, at most {max}."));
            return v;
        }
        List<string> Many(Col col)
        {
            var list = new List<string>();
            if (cells[(int)col] is not { } v) return list;
            foreach (var part in v.Split(Separator, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (part.Length > MaxOther) errors.Add(new CsvError(line, Columns[(int)col], $"Too long: '{part[..20]}…' has {part.Length} characters, at most {MaxOther}."));
                else list.Add(part);
            }
            return list;
        }
        string? Identifier(Col col, IdentifierKind kind, string raw)
        {
            var normalized = CustomerIdentifiers.Normalize(kind, raw);
            if (normalized is null) errors.Add(new CsvError(line, Columns[(int)col], $"'{raw}' is not valid: expected {CustomerIdentifiers.Expected(kind)}."));
            return normalized;
        }
        string? OneIdentifier(Col col, IdentifierKind kind) => Single(col, MaxOther) is { } raw ? Identifier(col, kind, raw) : null;
        List<string> ManyIdentifiers(Col col, IdentifierKind kind)
        {
            var list = new List<string>();
            foreach (var raw in Many(col))
                if (Identifier(col, kind, raw) is { } v && !list.Contains(v)) list.Add(v);
            return list;
        }

        var number = Single(Col.Number, MaxNumber)?.ToUpperInvariant();
        if (number is null) errors.Add(new CsvError(line, "number", "The customer number is required."));
        var name = Single(Col.Name, MaxName);
        if (name is null) errors.Add(new CsvError(line, "name", "The customer name is required."));
        var legalName = Single(Col.LegalName, MaxOther);
        string? segment = null;
        if (Single(Col.Segment, MaxOther) is { } s)
        {
            segment = s.ToLowerInvariant() switch { "strategic" => "Strategic", "key" => "Key", "standard" => "Standard", _ => null };
            if (segment is null) errors.Add(new CsvError(line, "segment", $"'{s}' is not a segment: use Strategic, Key or Standard."));
        }
        var industry = Single(Col.Industry, MaxOther);
        var owner = Single(Col.Owner, MaxOther);
        var parent = Single(Col.Parent, MaxNumber)?.ToUpperInvariant();
        if (parent is not null && parent == number) errors.Add(new CsvError(line, "parent", "A customer cannot be its own parent."));
        bool? restricted = null;
        if (Single(Col.Restricted, MaxOther) is { } r)
        {
            restricted = r.ToLowerInvariant() switch { "true" or "yes" or "y" or "1" => true, "false" or "no" or "n" or "0" => false, _ => null };
            if (restricted is null) errors.Add(new CsvError(line, "restricted", $"'{r}' is not yes or no: use true/false, yes/no or 1/0."));
        }
        var members = Many(Col.Members).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var erp = OneIdentifier(Col.Erp, IdentifierKind.Erp);
        var crm = OneIdentifier(Col.Crm, IdentifierKind.Crm);
        var domains = ManyIdentifiers(Col.Domains, IdentifierKind.Domain);
        var phones = ManyIdentifiers(Col.Phones, IdentifierKind.Phone);
        var tenant = OneIdentifier(Col.Tenant, IdentifierKind.Tenant);
        var tax = OneIdentifier(Col.Tax, IdentifierKind.Tax);
        var country = Single(Col.Country, MaxOther)?.ToUpperInvariant();
        if (country is not null && (country.Length != 2 || !char.IsAsciiLetterUpper(country[0]) || !char.IsAsciiLetterUpper(country[1])))
            errors.Add(new CsvError(line, "country", $"'{country}' is not a country code: use the two letters of ISO 3166, e.g. DE, US, JP."));
        var timezone = Single(Col.Timezone, MaxOther);
        if (timezone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(timezone, out _))
            errors.Add(new CsvError(line, "timezone", $"'{timezone}' is not a time zone: use an IANA name such as Europe/Berlin or America/New_York."));

        if (number is not null && number.Length <= MaxNumber)
        {
            if (firstLineOf.TryGetValue(number, out var first))
                errors.Add(new CsvError(line, "number", $"Customer number {number} is already on line {first} of this file."));
            else
                firstLineOf[number] = line;
        }
        if (errors.Count > 0) return null;
        return new CustomerImportRow(number!, name!, legalName, segment, industry, owner, parent, restricted, members, erp, crm, domains, phones,
            tenant, tax, country, timezone);
    }

    /// <summary>Why a raw cell is refused before anything else: a formula start (spreadsheet injection) or a control character.</summary>
    private static string? Refused(string raw, Col col)
    {
        if (raw.Length == 0) return null;
        if (col == Col.Phones)
        {
            foreach (var part in raw.Split(Separator))
                if (Formula(part) is { } why && !(part.TrimStart().StartsWith('+') && CustomerIdentifiers.Normalize(IdentifierKind.Phone, part) is not null)) return why;
        }
        else if (MultiValued.Contains(Columns[(int)col]))
        {
            foreach (var part in raw.Split(Separator))
                if (Formula(part) is { } why) return why;
        }
        else if (Formula(raw) is { } why) return why;
        foreach (var c in raw)
        {
            if (c is '\r' or '\n') return "Contains a line break: a value must fit on one line.";
            if (char.IsControl(c)) return $"Contains the control character U+{(int)c:X4}{(c == '\t' ? " (a tab)" : "")}; remove it.";
        }
        return null;
    }

    private static string? Formula(string cell)
    {
        if (cell.Length == 0) return null;
        if (cell[0] is '\t' or '\r') return $"Starts with a {(cell[0] == '\t' ? "tab" : "carriage return")}, which spreadsheets may run as a formula (formula injection); remove it.";
        var t = cell.TrimStart();
        return t.Length > 0 && t[0] is '=' or '+' or '-' or '@'
            ? $"Starts with '{t[0]}', which spreadsheets run as a formula (formula injection); remove the leading '{t[0]}'."
            : null;
    }

    private static string NotUtf8(byte bad) =>
        $"Not valid UTF-8 (byte 0x{bad:X2}): save the file as \"CSV UTF-8\". Accented letters from a Latin-1 / Windows-1252 file cannot be read.";

    /// <summary>RFC 4180 records straight from the bytes (separators are ASCII, so this is safe on UTF-8); each field decoded strictly.</summary>
    private sealed class RecordReader(Stream stream)
    {
        private const int MaxRecordBytes = 1 << 20;
        private const int MaxFields = 256;
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _pos, _len;
        private bool _eof, _started, _skipLf;
        private int _nextLine = 1;
        private byte[] _field = new byte[1024];
        private int _fieldLength, _recordBytes;

        public readonly List<string> Fields = [];
        public readonly List<byte?> BadBytes = [];
        public int Line { get; private set; }
        /// <summary>A problem that ends reading (the rest of the file cannot be trusted).</summary>
        public string? Fatal { get; private set; }
        /// <summary>A malformed record: reported for its line, reading goes on.</summary>
        public string? Syntax { get; private set; }

        private enum State { FieldStart, Unquoted, Quoted, QuoteInQuoted }

        public async ValueTask<bool> ReadAsync(CancellationToken ct)
        {
            if (Fatal is not null) return false;
            Fields.Clear();
            BadBytes.Clear();
            _fieldLength = _recordBytes = 0;
            Syntax = null;
            var state = State.FieldStart;
            Line = _nextLine;
            while (true)
            {
                if (_pos == _len)
                {
                    if (!_eof)
                    {
                        _len = await stream.ReadAsync(_buffer, ct);
                        _pos = 0;
                        _eof = _len == 0;
                        if (!_started && !_eof) Start();
                        if (Fatal is not null) return true;
                    }
                    if (_eof)
                    {
                        if (state == State.FieldStart && Fields.Count == 0) return false;
                        if (state == State.Quoted) Fatal = "A quoted value starting on this line is never closed (a missing \").";
                        EndField();
                        return true;
                    }
                }
                var b = _buffer[_pos++];
                if (_skipLf)
                {
                    _skipLf = false;
                    if (b == '\n') continue;
                }
                if (b == '\n') _nextLine++;
                if (++_recordBytes > MaxRecordBytes)
                {
                    Fatal = $"This record is longer than {MaxRecordBytes / 1024} KB (a missing closing quote?).";
                    return true;
                }
                switch (state)
                {
                    case State.FieldStart when b == '"':
                        state = State.Quoted;
                        break;
                    case State.FieldStart or State.Unquoted or State.QuoteInQuoted when b == ',':
                        EndField();
                        state = State.FieldStart;
                        break;
                    case State.FieldStart or State.Unquoted or State.QuoteInQuoted when b is (byte)'\r' or (byte)'\n':
                        if (b == '\r')
                        {
                            _nextLine++;
                            _skipLf = true;
                        }
                        if (state == State.FieldStart && Fields.Count == 0)
                        {
                            Line = _nextLine;
                            _recordBytes = 0;
                            break;
                        }
                        EndField();
                        return true;
                    case State.FieldStart or State.Unquoted:
                        Append(b);
                        state = State.Unquoted;
                        break;
                    case State.Quoted when b == '"':
                        state = State.QuoteInQuoted;
                        break;
                    case State.Quoted:
                        if (b == '\r' && _pos < _len && _buffer[_pos] != '\n') _nextLine++;
                        Append(b);
                        break;
                    case State.QuoteInQuoted when b == '"':
                        Append(b);
                        state = State.Quoted;
                        break;
                    case State.QuoteInQuoted:
                        Syntax ??= "A quoted value must be followed by a comma or the end of the line.";
                        Append(b);
                        state = State.Unquoted;
                        break;
                }
            }
        }

        private void Start()
        {
            _started = true;
            if (_len >= 2 && (_buffer[0], _buffer[1]) is (0xFF, 0xFE) or (0xFE, 0xFF))
                Fatal = "The file is UTF-16: save it as \"CSV UTF-8\".";
            else if (_len >= 3 && _buffer[0] == 0xEF && _buffer[1] == 0xBB && _buffer[2] == 0xBF)
                _pos = 3;
        }

        private void Append(byte b)
        {
            if (_fieldLength == _field.Length) Array.Resize(ref _field, _field.Length * 2);
            _field[_fieldLength++] = b;
        }

        private void EndField()
        {
            if (Fields.Count == MaxFields)
            {
                Syntax ??= $"This line has more than {MaxFields} fields.";
                return;
            }
            var bytes = _field.AsSpan(0, _fieldLength);
            _fieldLength = 0;
            var chars = ArrayPool<char>.Shared.Rent(Math.Max(1, bytes.Length));
            try
            {
                if (Utf8.ToUtf16(bytes, chars, out var read, out var written, replaceInvalidSequences: false) == System.Buffers.OperationStatus.Done)
                {
                    Fields.Add(written == 0 ? "" : new string(chars, 0, written));
                    BadBytes.Add(null);
                }
                else
                {
                    Fields.Add("");
                    BadBytes.Add(bytes[read]);
                }
            }
            finally
            {
                ArrayPool<char>.Shared.Return(chars);
            }
        }
    }
}
