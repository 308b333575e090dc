using System.Globalization;
using System.Text;

namespace OpsBot.Cards;

/// <summary>formatDateTime: JS Date parsing, the .NET→Day.js format converter of adaptive-expressions, Day.js formatting (English names, UTC).</summary>
internal static class DateFormat
{
    public const string DefaultDayjsFormat = "YYYY-MM-DDTHH:mm:ss.SSS[Z]";
    private static readonly string[] Months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    private static readonly string[] Weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

    /// <summary>A timestamp as JS <c>new Date()</c> reads it (ISO 8601; no zone = UTC because the reference runs with TZ=UTC).</summary>
    public static DateTime? Parse(string s)
    {
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var dto))
            return dto.UtcDateTime;
        return null;
    }

    /// <summary>Port of <c>convertCSharpDateTimeToDayjs</c>; when it throws the reference keeps the original format.</summary>
    public static string ToDayjs(string fmt)
    {
        if (fmt.Length == 0) return DefaultDayjsFormat;
        try { return Convert(fmt); }
        catch (FormatException) { return fmt; }
    }

    private static string Convert(string fmt)
    {
        if (fmt.Length == 1)
        {
            switch (fmt)
            {
                case "R" or "r" or "U" or "u": throw new FormatException();
                case "O" or "o": fmt = "YYYY-MM-DDTHH:mm:ss.SSS0000Z"; break;
            }
        }
        var result = new StringBuilder();
        var state = "";
        var literal = new StringBuilder();
        void Change(string next)
        {
            switch (state)
            {
                case "d1": result.Append('D'); break;
                case "d2": result.Append("DD"); break;
                case "d3": result.Append("ddd"); break;
                case "d4": result.Append("dddd"); break;
                case "f1" or "F1" or "f2" or "F2" or "g": throw new FormatException();
                case "f3" or "F3": result.Append("SSS"); break;
                case "h1": result.Append('h'); break;
                case "h2": result.Append("hh"); break;
                case "H1": result.Append('H'); break;
                case "H2": result.Append("HH"); break;
                case "m1": result.Append('m'); break;
                case "m2": result.Append("mm"); break;
                case "M1": result.Append('M'); break;
                case "M2": result.Append("MM"); break;
                case "M3": result.Append("MMM"); break;
                case "M4": result.Append("MMMM"); break;
                case "s1": result.Append('s'); break;
                case "s2": result.Append("ss"); break;
                case "t1" or "t2": result.Append('A'); break;
                case "y1" or "y2": result.Append("YY"); break;
                case "y3" or "y4": result.Append("YYYY"); break;
                case "z1" or "z2": result.Append("ZZ"); break;
                case "z3": result.Append('Z'); break;
                case "'" or "`" or "\\": result.Append(literal); break;
            }
            literal.Clear();
            state = next;
        }
        void Repeat(char c, int max)
        {
            var key = c.ToString();
            if (state.Length == 2 && state[0] == c)
            {
                var n = state[1] - '0';
                if (n < max) state = key + (n + 1);
            }
            else Change(key + "1");
        }
        foreach (var ch in fmt)
        {
            if (state == "\\") { literal.Append(ch); Change(""); continue; }
            if (state == "`") { if (ch == '`') Change(""); else literal.Append(ch); continue; }
            if (state == "'") { if (ch == '\'') Change(""); else literal.Append(ch); continue; }
            switch (ch)
            {
                case 'd': Repeat('d', 4); break;
                case 'f': Repeat('f', 3); break;
                case 'F': Repeat('F', 3); break;
                case 'g': if (state != "g") Change("g"); break;
                case 'h': Repeat('h', 2); break;
                case 'H': Repeat('H', 2); break;
                case 'K': Change(""); result.Append('Z'); break;
                case 'm': Repeat('m', 2); break;
                case 'M': Repeat('M', 4); break;
                case 's': Repeat('s', 2); break;
                case 't': Repeat('t', 2); break;
                case 'y': Repeat('y', 4); break;
                case 'z': Repeat('z', 3); break;
                case ':': Change(""); result.Append(':'); break;
                case '/': Change(""); result.Append('/'); break;
                case '`': Change("`"); break;
                case '\'': Change("'"); break;
                case '%': Change(""); break;
                case '\\': Change("\\"); break;
                default: Change(""); result.Append(ch); break;
            }
        }
        if (state is "\\" or "`" or "'") throw new FormatException();
        Change("");
        return result.ToString();
    }

    /// <summary>Day.js 1.11 <c>format</c> in UTC mode with the English locale.</summary>
    public static string FormatDayjs(DateTime t, string format)
    {
        var sb = new StringBuilder();
        var i = 0;
        while (i < format.Length)
        {
            var c = format[i];
            if (c == '[')
            {
                var close = format.IndexOf(']', i + 1);
                if (close > i + 1) { sb.Append(format, i + 1, close - i - 1); i = close + 1; continue; }
            }
            var token = MatchToken(format, i);
            if (token is null) { sb.Append(c); i++; continue; }
            sb.Append(Token(t, token));
            i += token.Length;
        }
        return sb.ToString();
    }

    // REGEX_FORMAT = /\[([^\]]+)]|YYYY|YY|M{1,4}|D{1,2}|d{1,4}|H{1,2}|h{1,2}|a|A|m{1,2}|s{1,2}|Z{1,2}|SSS/g
    private static string? MatchToken(string f, int i)
    {
        if (string.CompareOrdinal(f, i, "YYYY", 0, 4) == 0) return "YYYY";
        if (string.CompareOrdinal(f, i, "YY", 0, 2) == 0) return "YY";
        if (string.CompareOrdinal(f, i, "SSS", 0, 3) == 0) return "SSS";
        var c = f[i];
        var max = c switch { 'M' => 4, 'd' => 4, 'D' or 'H' or 'h' or 'm' or 's' or 'Z' => 2, 'a' or 'A' => 1, _ => 0 };
        if (max == 0) return null;
        var n = 1;
        while (n < max && i + n < f.Length && f[i + n] == c) n++;
        return new string(c, n);
    }

    private static string Token(DateTime t, string token)
    {
        var inv = CultureInfo.InvariantCulture;
        var h12 = t.Hour % 12 == 0 ? 12 : t.Hour % 12;
        return token switch
        {
            "YY" => (t.Year.ToString(inv) is var y && y.Length > 2 ? y[^2..] : y),
            "YYYY" => t.Year.ToString("0000", inv),
            "M" => t.Month.ToString(inv),
            "MM" => t.Month.ToString("00", inv),
            "MMM" => Months[t.Month - 1][..3],
            "MMMM" => Months[t.Month - 1],
            "D" => t.Day.ToString(inv),
            "DD" => t.Day.ToString("00", inv),
            "d" => ((int)t.DayOfWeek).ToString(inv),
            "dd" => Weekdays[(int)t.DayOfWeek][..2],
            "ddd" => Weekdays[(int)t.DayOfWeek][..3],
            "dddd" => Weekdays[(int)t.DayOfWeek],
            "H" => t.Hour.ToString(inv),
            "HH" => t.Hour.ToString("00", inv),
            "h" => h12.ToString(inv),
            "hh" => h12.ToString("00", inv),
            "a" => t.Hour < 12 ? "am" : "pm",
            "A" => t.Hour < 12 ? "AM" : "PM",
            "m" => t.Minute.ToString(inv),
            "mm" => t.Minute.ToString("00", inv),
            "s" => t.Second.ToString(inv),
            "ss" => t.Second.ToString("00", inv),
            "SSS" => t.Millisecond.ToString("000", inv),
            "Z" => "+00:00",
            _ => "+0000",
        };
    }
}
