using System.Text;

namespace OpsBot.Cards;

/// <summary>
/// Parser for one templated string (the reference wraps it in backticks and lexes it with AEL's ANTLR grammar)
/// and for the AEL expressions inside <c>${…}</c>.
/// </summary>
internal static class TemplateParser
{
    /// <summary>Parses a string containing <c>${</c>: text and expression parts, as AEL's string interpolation does.</summary>
    public static List<Expr> ParseInterpolation(string s)
    {
        var children = new List<Expr> { new ConstExpr("") };
        var text = new StringBuilder();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (c == '`') throw new TemplateSyntaxException("unescaped backtick in templated text (write \\`)");
            if (c == '$' && i + 1 < s.Length && s[i + 1] == '{')
            {
                var end = Lexer.MatchTemplate(s, i);
                if (end > 0)
                {
                    if (text.Length > 0) { children.Add(new ConstExpr(text.ToString())); text.Clear(); }
                    children.Add(ParseExpression(TrimExpression(s[i..end])));
                    i = end;
                    continue;
                }
            }
            if (c == '\\' && i + 1 < s.Length && s[i + 1] is '`' or '$')
            {
                text.Append(s[i + 1]);
                i += 2;
                continue;
            }
            text.Append(c);
            i++;
        }
        if (text.Length > 0) children.Add(new ConstExpr(text.ToString()));
        return children;
    }

    private static string TrimExpression(string expression)
    {
        var result = Js.JsTrim(expression);
        if (result.StartsWith('$')) result = result[1..];
        result = Js.JsTrim(result);
        if (result.StartsWith('{') && result.EndsWith('}')) result = result[1..^1];
        return Js.JsTrim(result);
    }

    /// <summary>Parses one AEL expression; an empty expression is the empty string constant.</summary>
    public static Expr ParseExpression(string text)
    {
        if (text.Length == 0) return new ConstExpr("");
        var parser = new AelParser(Lexer.Tokenize(text));
        var e = parser.ParseExpression(0);
        parser.Expect(TokenKind.End, "end of expression");
        return e;
    }
}
