namespace OpsBot.Cards;

internal enum TokenKind { Number, String, Identifier, Operator, End }

internal readonly record struct Token(TokenKind Kind, string Text);

/// <summary>
/// The lexical rules of the reference: where a <c>${…}</c> ends inside a templated string (AEL's ANTLR TEMPLATE token)
/// and the tokens of one AEL expression.
/// </summary>
internal static class Lexer
{
    // TEMPLATE : '$' '{' (STRING | OBJECT_DEFINITION | ~[\r\n{}'"`])+ '}' — longest match.
    public static int MatchTemplate(string s, int start)
    {
        var best = -1;
        var visited = new HashSet<int>();
        var pending = new Stack<int>();
        foreach (var p in ItemEnds(s, start + 2)) pending.Push(p);
        while (pending.Count > 0)
        {
            var p = pending.Pop();
            if (!visited.Add(p)) continue;
            if (p < s.Length && s[p] == '}') best = Math.Max(best, p + 1);
            foreach (var q in ItemEnds(s, p)) pending.Push(q);
        }
        return best;
    }

    private static IEnumerable<int> ItemEnds(string s, int p)
    {
        if (p >= s.Length) yield break;
        var c = s[p];
        if (c is '\'' or '"')
        {
            var end = StringEnd(s, p);
            if (end > 0) yield return end;
        }
        else if (c == '{')
        {
            foreach (var e in ObjectEnds(s, p)) yield return e;
        }
        else if (c is not ('\r' or '\n' or '}' or '`')) yield return p + 1;
    }

    /// <summary>End (exclusive) of a quoted string starting at <paramref name="p"/>, or -1.</summary>
    public static int StringEnd(string s, int p)
    {
        var q = s[p];
        for (var i = p + 1; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length && (s[i + 1] == q || s[i + 1] == '\\')) { i++; continue; }
            if (s[i] == q) return i + 1;
        }
        return -1;
    }

    // OBJECT_DEFINITION: '{' (WHITESPACE | (IDENTIFIER | STRING) ':' (STRING | ~[{}\r\n'"`] | OBJECT_DEFINITION)+)* '}'
    // (WHITESPACE is disabled inside string interpolation: its predicate ignoreWS is false there).
    private static HashSet<int> ObjectEnds(string s, int p)
    {
        var ends = new HashSet<int>();
        var visited = new HashSet<(int, int)>();
        var pending = new Stack<(int Pos, int State)>(); // state 0: loop start, 1: after key, 2: in value
        pending.Push((p + 1, 0));
        while (pending.Count > 0)
        {
            var (pos, state) = pending.Pop();
            if (!visited.Add((pos, state)) || pos >= s.Length) continue;
            var c = s[pos];
            if (state is 0 or 2)
            {
                if (c == '}') ends.Add(pos + 1);
                if (c is '\'' or '"')
                {
                    var e = StringEnd(s, pos);
                    if (e > 0) pending.Push((e, 1));
                }
                else foreach (var e in IdentifierEnds(s, pos)) pending.Push((e, 1));
            }
            if (state == 1 && c == ':') { ValueItems(s, pos + 1, pending); }
            if (state == 2) ValueItems(s, pos, pending);
        }
        return ends;
    }

    private static void ValueItems(string s, int pos, Stack<(int, int)> pending)
    {
        if (pos >= s.Length) return;
        var c = s[pos];
        if (c is '\'' or '"')
        {
            var e = StringEnd(s, pos);
            if (e > 0) pending.Push((e, 2));
        }
        else if (c == '{')
        {
            foreach (var e in ObjectEnds(s, pos)) pending.Push((e, 2));
        }
        else if (c is not ('}' or '\r' or '\n' or '`')) pending.Push((pos + 1, 2));
    }

    private static IEnumerable<int> IdentifierEnds(string s, int p)
    {
        var starts = new List<int>();
        var c = s[p];
        if (char.IsAsciiLetter(c) || c is '_' or '#' or '@' or '$' or '%') starts.Add(p + 1);
        if (c == '@' && p + 1 < s.Length && s[p + 1] == '@') starts.Add(p + 2);
        foreach (var st in starts)
        {
            yield return st;
            for (var i = st; i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_'); i++) yield return i + 1;
        }
    }

    private static readonly string[] TwoCharOps = ["==", "!=", "<>", "&&", "||", "<=", ">=", "=>", "??"];

    public static List<Token> Tokenize(string s)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (c is ' ' or '\t' or '\ufeff' or '\u00a0' or '\n') { i++; continue; }
            if (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n') { i += 2; continue; }
            if (char.IsAsciiDigit(c))
            {
                var st = i;
                while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
                if (i + 1 < s.Length && s[i] == '.' && char.IsAsciiDigit(s[i + 1]))
                {
                    i++;
                    while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
                }
                tokens.Add(new Token(TokenKind.Number, s[st..i]));
                continue;
            }
            if (c is '\'' or '"')
            {
                var end = StringEnd(s, i);
                if (end < 0) throw new TemplateSyntaxException($"unterminated string in '{s}'");
                tokens.Add(new Token(TokenKind.String, s[i..end]));
                i = end;
                continue;
            }
            if (char.IsAsciiLetter(c) || c is '_' or '#' or '@' or '$' || (c == '%' && i + 1 < s.Length && (char.IsAsciiLetterOrDigit(s[i + 1]) || s[i + 1] == '_')))
            {
                var st = i;
                i += c == '@' && i + 1 < s.Length && s[i + 1] == '@' ? 2 : 1;
                while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Identifier, s[st..i]));
                continue;
            }
            if (i + 1 < s.Length && Array.IndexOf(TwoCharOps, s.Substring(i, 2)) >= 0)
            {
                tokens.Add(new Token(TokenKind.Operator, s.Substring(i, 2)));
                i += 2;
                continue;
            }
            if ("+-!^*/%&<>().[]{},:?".Contains(c))
            {
                tokens.Add(new Token(TokenKind.Operator, c.ToString()));
                i++;
                continue;
            }
            throw new TemplateSyntaxException($"unexpected character '{c}' in '{s}'");
        }
        tokens.Add(new Token(TokenKind.End, ""));
        return tokens;
    }
}
