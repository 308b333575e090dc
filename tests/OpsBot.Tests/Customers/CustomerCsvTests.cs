using System.Text;
using OpsBot.Customers;
using OpsBot.Escalations;

namespace OpsBot.Tests.Customers;

/// <summary>
/// The customer import file is read as it streams, line by line: every problem is reported with its line, column and reason,
/// and cells a spreadsheet would run as formulas are refused on the way in and neutralised on the way out.
/// </summary>
public sealed class CustomerCsvTests
{
    private const string Header = "number,name,legal_name,segment,industry,owner,parent,restricted,members,erp,crm,domains,phones,tenant,tax,country,timezone";

    private static Task<List<CsvRow>> ReadAsync(string text, bool bom = false) =>
        ReadAsync((bom ? [0xEF, 0xBB, 0xBF] : Array.Empty<byte>()).Concat(Encoding.UTF8.GetBytes(text)).ToArray());

    private static async Task<List<CsvRow>> ReadAsync(byte[] bytes)
    {
        var rows = new List<CsvRow>();
        await foreach (var row in CustomerCsv.ReadAsync(new MemoryStream(bytes))) rows.Add(row);
        return rows;
    }

    internal static string Errors(CsvRow row) => string.Join(" | ", row.Errors);

    [Fact]
    public async Task A_full_line_is_read_into_normalised_values()
    {
        var rows = await ReadAsync(Header + "\r\n" +
            " zen-900 ,Zenith Motors,\"Zenith Motors GmbH & Co. KG\",strategic,Automotive,29:ann,zen-1,yes,\"29:ann; 5f0c1d2e-0000-4000-8000-000000000001\"," +
            "100234,0015g00000AbCdE,\"zenith.de; jane@Zenith-Motors.com;www.zenith.de\",+49 30 1234567;0049 (89) 765-4321," +
            "72F988BF-86F1-41AF-91AB-2D7CD011DB47,DE 123.456.789,de,Europe/Berlin\r\n", bom: true);

        var row = Assert.Single(rows);
        Assert.True(row.IsValid, Errors(row));
        Assert.Equal(2, row.Line);
        var v = row.Values!;
        Assert.Equal("ZEN-900", v.Number);
        Assert.Equal("Zenith Motors", v.Name);
        Assert.Equal("Zenith Motors GmbH & Co. KG", v.LegalName);
        Assert.Equal("Strategic", v.Segment);
        Assert.Equal("Automotive", v.Industry);
        Assert.Equal("29:ann", v.Owner);
        Assert.Equal("ZEN-1", v.Parent);
        Assert.True(v.Restricted);
        Assert.Equal(["29:ann", "5f0c1d2e-0000-4000-8000-000000000001"], v.Members);
        Assert.Equal("100234", v.Erp);
        Assert.Equal("0015G00000ABCDE", v.Crm);
        Assert.Equal(["zenith.de", "zenith-motors.com"], v.Domains);
        Assert.Equal(["+49301234567", "+49897654321"], v.Phones);
        Assert.Equal("72f988bf-86f1-41af-91ab-2d7cd011db47", v.Tenant);
        Assert.Equal("DE123456789", v.Tax);
        Assert.Equal("DE", v.Country);
        Assert.Equal("Europe/Berlin", v.Timezone);
        Assert.Equal(["ERP:100234", "CRM:0015G00000ABCDE", "DOMAIN:zenith.de", "DOMAIN:zenith-motors.com", "PHONE:+49301234567", "PHONE:+49897654321",
            "TENANT:72f988bf-86f1-41af-91ab-2d7cd011db47", "TAX:DE123456789"], v.Identifiers().Select(i => i.ToString()));
    }

    [Fact]
    public async Task Quoted_commas_and_doubled_quotes_are_part_of_the_value()
    {
        var row = Assert.Single(await ReadAsync("number,name,legal_name\r\n\"A,1\",\"Acme, \"\"the best\"\"\",\"\"\r\n"));
        Assert.True(row.IsValid, Errors(row));
        Assert.Equal(("A,1", "Acme, \"the best\"", null), (row.Values!.Number, row.Values.Name, row.Values.LegalName));
    }

    [Fact]
    public async Task Only_number_and_name_are_required_in_any_column_order_and_header_case()
    {
        var rows = await ReadAsync(" Name ,NUMBER\nAcme Corp,a-1\n");
        var v = Assert.Single(rows).Values!;
        Assert.Equal(("A-1", "Acme Corp"), (v.Number, v.Name));
        Assert.Null(v.Segment);
        Assert.Null(v.Restricted);
        Assert.Empty(v.Domains);
        Assert.Empty(v.Members);
    }

    [Fact]
    public async Task Quotes_line_breaks_and_blank_lines_follow_RFC_4180_and_lines_are_counted_in_the_file()
    {
        var rows = await ReadAsync("number,name,industry\n" +
            "1,\"Acme, \"\"the best\"\"\",\"Rail\r\nand road\"\n" +
            "\n" +
            "2,Globex,\r\n" +
            "\r\n" +
            "3,\"Initech\",Software");
        Assert.Equal([2, 5, 7], rows.Select(r => r.Line));
        Assert.Equal("line 2, industry: Contains a line break: a value must fit on one line.", Errors(rows[0]));
        Assert.True(rows[1].IsValid && rows[2].IsValid);
        Assert.Null(rows[1].Values!.Industry);
        Assert.Equal("Initech", rows[2].Values!.Name);
    }

    [Theory]
    [InlineData("", "line 1: The file is empty")]
    [InlineData("number\n1\n", "line 1, name: The header has no 'name' column")]
    [InlineData("1,Acme\n2,Globex\n", "line 1, 1: Unknown column '1'")]
    [InlineData("number,name,colour\n1,Acme,red\n", "line 1, colour: Unknown column 'colour'. The columns are number,name,legal_name,")]
    [InlineData("number,name,Name\n1,Acme,Acme\n", "line 1, name: Column 'name' appears twice")]
    [InlineData("number,name,\n1,Acme,\n", "line 1: Column 3 of the header has no name (a trailing comma?).")]
    public async Task A_bad_header_gives_one_error_row_for_line_1_and_nothing_else(string text, string error)
    {
        var row = Assert.Single(await ReadAsync(text));
        Assert.Equal(1, row.Line);
        Assert.Null(row.Values);
        Assert.StartsWith(error, Errors(row), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadLines => new()
    {
        { ",Acme", "line 2, number: The customer number is required." },
        { "A-1,", "line 2, name: The customer name is required." },
        { "  ,  ", "line 2, number: The customer number is required. | line 2, name: The customer name is required." },
        { new string('N', 33) + ",Acme", "line 2, number: Too long: 33 characters, at most 32." },
        { "A-1," + new string('n', 201), "line 2, name: Too long: 201 characters, at most 200." },
        { "A-1,Acme,,," + new string('i', 201), "line 2, industry: Too long: 201 characters, at most 200." },
        { "A-1,Acme,,Gold", "line 2, segment: 'Gold' is not a segment: use Strategic, Key or Standard." },
        { "A-1,Acme,,,,,a-1", "line 2, parent: A customer cannot be its own parent." },
        { "A-1,Acme,,,,,,maybe", "line 2, restricted: 'maybe' is not yes or no: use true/false, yes/no or 1/0." },
        { "A-1,Acme,,,,,,,,,,acme", "line 2, domains: 'acme' is not valid: expected an e-mail domain such as acme.com, or an e-mail address." },
        { "A-1,Acme,,,,,,,,,,acme.com;nope", "line 2, domains: 'nope' is not valid: expected an e-mail domain such as acme.com, or an e-mail address." },
        { "A-1,Acme,,,,,,,,,,,12345", "line 2, phones: '12345' is not valid: expected a phone number with 7 to 15 digits, e.g. +49 30 1234567." },
        { "A-1,Acme,,,,,,,,,,,,contoso", "line 2, tenant: 'contoso' is not valid: expected a Microsoft Entra tenant id (a GUID), e.g. 72f988bf-86f1-41af-91ab-2d7cd011db47." },
        { "A-1,Acme,,,,,,,,,,,,,DE-12!", "line 2, tax: 'DE-12!' is not valid: expected a VAT or tax id of letters and digits, e.g. DE 123 456 789." },
        { "A-1,Acme,,,,,,,," + new string('9', 65), $"line 2, erp: '{new string('9', 65)}' is not valid: expected an ERP account number of at most 64 characters, e.g. 100234." },
        { "A-1,Acme,,,,,,,,,,,,,,Germany", "line 2, country: 'GERMANY' is not a country code: use the two letters of ISO 3166, e.g. DE, US, JP." },
        { "A-1,Acme,,,,,,,,,,,,,,,Mars/Olympus", "line 2, timezone: 'Mars/Olympus' is not a time zone: use an IANA name such as Europe/Berlin or America/New_York." },
        { "A-1,Acme,extra", "line 2: This line has 3 field(s) but the header has 17; a value with a comma must be in double quotes." },
        { "A-1,\"Acme\" Corp", "line 2: A quoted value must be followed by a comma or the end of the line." },
        { "A-1,\"Ac\tme\"", "line 2, name: Contains the control character U+0009 (a tab); remove it." },
        { "A-1,\"Acme\u0007\"", "line 2, name: Contains the control character U+0007; remove it." },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public async Task A_bad_line_is_reported_with_its_line_column_and_reason_and_the_next_line_is_still_read(string line, string errors)
    {
        var padded = line.EndsWith(",extra", StringComparison.Ordinal) ? line : line + new string(',', 17 - line.Split(',').Length);
        var rows = await ReadAsync(Header + "\n" + padded + "\nB-2,Good" + new string(',', 15) + "\n");
        Assert.Equal(2, rows.Count);
        Assert.Equal(2, rows[0].Line);
        Assert.Null(rows[0].Values);
        Assert.Equal(errors, Errors(rows[0]));
        Assert.True(rows[1].IsValid, Errors(rows[1]));
        Assert.Equal(3, rows[1].Line);
    }

    [Fact]
    public async Task A_duplicate_number_in_the_file_names_the_line_of_the_first_one()
    {
        var rows = await ReadAsync("number,name\nA-1,Acme\nB-2,Globex\n a-1 ,Acme again\nB-2,Globex again\n");
        Assert.True(rows[0].IsValid && rows[1].IsValid);
        Assert.Equal("line 4, number: Customer number A-1 is already on line 2 of this file.", Errors(rows[2]));
        Assert.Equal("line 5, number: Customer number B-2 is already on line 3 of this file.", Errors(rows[3]));
    }

    [Theory]
    [InlineData("name", "=HYPERLINK(\"http://evil\";\"click\")", "Starts with '=', which spreadsheets run as a formula (formula injection); remove the leading '='.")]
    [InlineData("name", "+1+cmd|' /C calc'!A0", "Starts with '+', which spreadsheets run as a formula (formula injection); remove the leading '+'.")]
    [InlineData("name", "-2+3", "Starts with '-', which spreadsheets run as a formula (formula injection); remove the leading '-'.")]
    [InlineData("name", "@SUM(A1:A9)", "Starts with '@', which spreadsheets run as a formula (formula injection); remove the leading '@'.")]
    [InlineData("name", "  =1+1", "Starts with '=', which spreadsheets run as a formula (formula injection); remove the leading '='.")]
    [InlineData("name", "\t=1+1", "Starts with a tab, which spreadsheets may run as a formula (formula injection); remove it.")]
    [InlineData("name", "\r=1+1", "Starts with a carriage return, which spreadsheets may run as a formula (formula injection); remove it.")]
    [InlineData("industry", "=1+1", "Starts with '=', which spreadsheets run as a formula (formula injection); remove the leading '='.")]
    [InlineData("number", "-100", "Starts with '-', which spreadsheets run as a formula (formula injection); remove the leading '-'.")]
    [InlineData("domains", "acme.com;=cmd()", "Starts with '=', which spreadsheets run as a formula (formula injection); remove the leading '='.")]
    [InlineData("members", "29:ann; @evil", "Starts with '@', which spreadsheets run as a formula (formula injection); remove the leading '@'.")]
    [InlineData("phones", "+1+cmd|' /C calc'!A0", "Starts with '+', which spreadsheets run as a formula (formula injection); remove the leading '+'.")]
    [InlineData("phones", "+49 30 1234567;-1234567", "Starts with '-', which spreadsheets run as a formula (formula injection); remove the leading '-'.")]
    public async Task A_cell_that_starts_like_a_formula_is_refused(string column, string cell, string why)
    {
        var text = $"number,name,{(column is "number" or "name" ? "industry" : column)}\n" +
            (column switch
            {
                "number" => $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\",Acme,",
                "name" => $"A-1,\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\",",
                _ => $"A-1,Acme,\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"",
            }) + "\n";
        var row = Assert.Single(await ReadAsync(text));
        Assert.Equal($"line 2, {column}: {why}", Errors(row));
    }

    [Fact]
    public async Task A_phone_number_starting_with_plus_is_not_a_formula()
    {
        var row = Assert.Single(await ReadAsync("number,name,phones\nA-1,Acme,+49 30 1234567; +1 (212) 555-0100\n"));
        Assert.True(row.IsValid, Errors(row));
        Assert.Equal(["+49301234567", "+12125550100"], row.Values!.Phones);
    }

    [Fact]
    public async Task Latin_1_bytes_are_an_encoding_error_naming_the_line_and_column_and_later_lines_are_still_read()
    {
        var bytes = Encoding.Latin1.GetBytes("number,name,industry\nA-1,Acme,Rail\nB-2,Société Générale,Banque\nC-3,Globex,Energy\n");
        var rows = await ReadAsync(bytes);
        Assert.Equal(3, rows.Count);
        Assert.True(rows[0].IsValid);
        Assert.Equal(3, rows[1].Line);
        Assert.Equal("line 3, name: Not valid UTF-8 (byte 0xE9): save the file as \"CSV UTF-8\". Accented letters from a Latin-1 / Windows-1252 file cannot be read.", Errors(rows[1]));
        Assert.True(rows[2].IsValid);
        Assert.Equal("Globex", rows[2].Values!.Name);
    }

    [Fact]
    public async Task The_same_text_as_UTF_8_is_read_with_its_accents()
    {
        var row = (await ReadAsync("number,name\nB-2,Société Générale S.A.\n"))[0];
        Assert.Equal("Société Générale S.A.", row.Values!.Name);
    }

    [Fact]
    public async Task A_UTF_16_file_is_refused_as_a_whole()
    {
        var row = Assert.Single(await ReadAsync(Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("number,name\nA-1,Acme\n")).ToArray()));
        Assert.Equal("line 1: The file is UTF-16: save it as \"CSV UTF-8\".", Errors(row));
    }

    [Fact]
    public async Task An_unclosed_quote_stops_the_file_at_the_line_it_starts_on()
    {
        var rows = await ReadAsync("number,name\nA-1,Acme\nB-2,\"Globex\nC-3,Initech\n");
        Assert.Equal(2, rows.Count);
        Assert.True(rows[0].IsValid);
        Assert.Equal("line 3: A quoted value starting on this line is never closed (a missing \").", Errors(rows[1]));
    }

    /// <summary>A CSV file of <c>rows</c> customers made up as it is read: there is never a string or buffer of the whole file.</summary>
    internal sealed class GeneratedCsv(int rows) : Stream
    {
        private byte[] _pending = Encoding.UTF8.GetBytes("number,name,legal_name,industry,domains,phones,segment\r\n");
        private int _offset;
        private int _next;
        public long Produced { get; private set; }

        public override int Read(Span<byte> buffer)
        {
            if (_offset == _pending.Length)
            {
                if (_next == rows) return 0;
                var i = _next++;
                _pending = Encoding.UTF8.GetBytes(
                    $"C-{i:D7},Customer {i} Société,\"Customer {i} Société Générale de Transports, S.A.\",Logistics and transport of goods worldwide {i},c{i}.example.com;c{i}-group.example.org,+49 30 {i:D7},Key\r\n");
                _offset = 0;
            }
            var n = Math.Min(buffer.Length, _pending.Length - _offset);
            _pending.AsSpan(_offset, n).CopyTo(buffer);
            _offset += n;
            Produced += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Produced; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("Acme", "Acme")]
    [InlineData("Acme, Inc.", "\"Acme, Inc.\"")]
    [InlineData("The \"best\"", "\"The \"\"best\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("=HYPERLINK(\"http://evil\")", "\"'=HYPERLINK(\"\"http://evil\"\")\"")]
    [InlineData("+1+1", "'+1+1")]
    [InlineData("-2", "'-2")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tcmd", "'\tcmd")]
    [InlineData("\r=1", "\"'\r=1\"")]
    [InlineData("a=b", "a=b")]
    public void An_exported_cell_is_quoted_when_needed_and_never_starts_like_a_formula(string? value, string cell) =>
        Assert.Equal(cell, CsvSafe.Cell(value));

    [Fact]
    public void The_escalation_report_CSV_neutralises_formulas_in_names()
    {
        var report = new EscalationReport("2026-11", 2,
            [new ExecutiveLine("@Ann, the boss", 1, 1, 0, null, 0)],
            [new AccountLine("=HYPERLINK(\"http://evil\")", 1, 0, 0), new AccountLine("\tTabbed", 1, 0, 0)]);
        var lines = EscalationReports.Csv(report).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("executive,\"'@Ann, the boss\",1,1,0,,0", lines[1]);
        Assert.Equal("account,\"'=HYPERLINK(\"\"http://evil\"\")\",1,,0,,0", lines[2]);
        Assert.Equal("account,'\tTabbed,1,,0,,0", lines[3]);
    }
}

/// <summary>Tests that measure the process's heap run alone: another test's allocations would count as theirs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurementCollection
{
    public const string Name = "memory measurement";
}

[Collection(MemoryMeasurementCollection.Name)]
public sealed class CustomerCsvMemoryTests
{
    [Fact]
    public async Task One_hundred_thousand_rows_stream_from_a_generator_with_flat_memory()
    {
        const int Count = 100_000;
        var stream = new CustomerCsvTests.GeneratedCsv(Count);
        var valid = 0;
        var last = 0;
        long heapAt10k = 0, heapAtEnd = 0;
        await foreach (var row in CustomerCsv.ReadAsync(stream))
        {
            Assert.True(row.IsValid, CustomerCsvTests.Errors(row));
            valid++;
            last = row.Line;
            if (valid == 10_000) heapAt10k = GC.GetTotalMemory(forceFullCollection: true);
            if (valid == Count) heapAtEnd = GC.GetTotalMemory(forceFullCollection: true);
        }
        Assert.Equal(Count, valid);
        Assert.Equal(Count + 1, last);
        Assert.True(stream.Produced > 20_000_000, $"{stream.Produced} bytes");
        // Only the numbers seen (for duplicates) are kept, under 128 bytes a line; a line of this file is over 200 bytes, twice that as text.
        var perLine = (heapAtEnd - heapAt10k) / (Count - 10_000);
        Assert.True(perLine < 128, $"heap grew {heapAtEnd - heapAt10k:N0} bytes ({perLine} a line) while reading {stream.Produced:N0}");
    }
}
