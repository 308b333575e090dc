using System.Text;

namespace OpsBot.Cards;

/// <summary>Precedence-climbing parser for AEL expressions (operators, calls, member and index access, array and object literals, lambdas).</summary>
internal sealed class AelParser(List<Token> tokens)
{
    private int _pos;
    private Token Current => tokens[_pos];
    private Token Peek(int k) => tokens[Math.Min(_pos + k, tokens.Count - 1)];

    private bool IsOp(string op) => Current.Kind == TokenKind.Operator && Current.Text == op;

    public void Expect(TokenKind kind, string what, string? op = null)
    {
        if (Current.Kind != kind || (op is not null && Current.Text != op))
            throw new TemplateSyntaxException($"syntax error: expected {what} but found '{(Current.Kind == TokenKind.End ? "<end>" : Current.Text)}'");
        _pos++;
    }

    private static int Precedence(string op) => op switch
    {
        "?" => 1,
        "??" => 2,
        "||" => 3,
        "&&" => 4,
        "<" or "<=" or ">" or ">=" => 5,
        "&" => 6,
        "==" or "!=" or "<>" => 7,
        "+" or "-" => 8,
        "*" or "/" or "%" => 9,
        "^" => 10,
        _ => -1,
    };

    public Expr ParseExpression(int minPrec)
    {
        var left = ParseUnary();
        while (Current.Kind == TokenKind.Operator)
        {
            var op = Current.Text;
            var prec = Precedence(op);
            if (prec < 0 || prec < minPrec) break;
            _pos++;
            if (op == "?")
            {
                var then = ParseExpression(0);
                Expect(TokenKind.Operator, "':'", ":");
                var otherwise = ParseExpression(prec + 1);
                left = Functions.Make("if", [left, then, otherwise]);
                continue;
            }
            var right = ParseExpression(op == "^" ? prec : prec + 1);
            left = Functions.Make(op, [left, right]);
        }
        return left;
    }

    private Expr ParseUnary()
    {
        if (Current.Kind == TokenKind.Operator && Current.Text is "!" or "-" or "+")
        {
            var op = Current.Text;
            _pos++;
            var operand = ParseUnary();
            return op == "!" ? Functions.Make("!", [operand]) : Functions.Make(op, [new ConstExpr(0d), operand]);
        }
        return ParsePostfix(ParsePrimary());
    }

    private Expr ParsePrimary()
    {
        var t = Current;
        switch (t.Kind)
        {
            case TokenKind.Number:
                _pos++;
                return new ConstExpr(double.Parse(t.Text, System.Globalization.CultureInfo.InvariantCulture));
            case TokenKind.String:
                _pos++;
                return new ConstExpr(StringLiteral(t.Text));
            case TokenKind.Identifier:
                _pos++;
                return t.Text switch
                {
                    "true" => new ConstExpr(true),
                    "false" => new ConstExpr(false),
                    "null" => new ConstExpr(null),
                    "undefined" => new ConstExpr(Undefined.Value),
                    _ => new AccessorExpr(t.Text, null),
                };
            case TokenKind.Operator when t.Text == "(":
                _pos++;
                var inner = ParseExpression(0);
                Expect(TokenKind.Operator, "')'", ")");
                return inner;
            case TokenKind.Operator when t.Text == "[":
                _pos++;
                return Functions.Make("createArray", ParseArgs("]"));
            case TokenKind.Operator when t.Text == "{":
                _pos++;
                return ParseObject();
            default:
                throw new TemplateSyntaxException($"syntax error: unexpected '{(t.Kind == TokenKind.End ? "<end>" : t.Text)}'");
        }
    }

    private Expr ParseObject()
    {
        var keys = new List<string>();
        var values = new List<Expr>();
        if (IsOp("}")) { _pos++; return new ObjectLiteralExpr([], []); }
        while (true)
        {
            var k = Current;
            if (k.Kind == TokenKind.Identifier) keys.Add(k.Text);
            else if (k.Kind == TokenKind.String) keys.Add(k.Text[1..^1]);
            else throw new TemplateSyntaxException($"syntax error: expected an object key but found '{k.Text}'");
            _pos++;
            Expect(TokenKind.Operator, "':'", ":");
            values.Add(ParseExpression(0));
            if (IsOp(",")) { _pos++; continue; }
            Expect(TokenKind.Operator, "'}'", "}");
            return new ObjectLiteralExpr([.. keys], [.. values]);
        }
    }

    private Expr ParsePostfix(Expr e)
    {
        while (Current.Kind == TokenKind.Operator)
        {
            if (IsOp("."))
            {
                _pos++;
                if (Current.Kind != TokenKind.Identifier) throw new TemplateSyntaxException($"syntax error: expected a property name after '.' but found '{Current.Text}'");
                e = new AccessorExpr(Current.Text, e);
                _pos++;
            }
            else if (IsOp("[")) 
            {
                _pos++;
                var index = ParseExpression(0);
                Expect(TokenKind.Operator, "']'", "]");
                e = new ElementExpr(e, index);
            }
            else if (IsOp("(") || (IsOp("!") && Peek(1) is { Kind: TokenKind.Operator, Text: "(" }))
            {
                var bang = IsOp("!");
                _pos += bang ? 2 : 1;
                var name = FunctionName(e) + (bang ? "!" : "");
                e = Functions.Make(name, ParseArgs(")"));
            }
            else break;
        }
        return e;
    }

    private static string FunctionName(Expr e) => e switch
    {
        AccessorExpr { Instance: null } a => a.Name,
        AccessorExpr a => FunctionName(a.Instance!) + "." + a.Name,
        _ => "<expression>",
    };

    private Expr[] ParseArgs(string close)
    {
        var args = new List<Expr>();
        if (IsOp(close)) { _pos++; return []; }
        while (true)
        {
            if (Current.Kind == TokenKind.Identifier && Peek(1) is { Kind: TokenKind.Operator, Text: "=>" })
            {
                args.Add(new AccessorExpr(Current.Text, null));
                _pos += 2;
            }
            args.Add(ParseExpression(0));
            if (IsOp(",")) { _pos++; continue; }
            Expect(TokenKind.Operator, $"'{close}'", close);
            return [.. args];
        }
    }

    private static string StringLiteral(string token)
    {
        var text = token[1..^1];
        text = token[0] == '\'' ? text.Replace("\\'", "'", StringComparison.Ordinal) : text.Replace("\\\"", "\"", StringComparison.Ordinal);
        if (!text.Contains('\\')) return text;
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is not ('\r' or '\n'))
            {
                var mapped = text[i + 1] switch { 'r' => "\r", 'n' => "\n", 't' => "\t", '\\' => "\\", _ => null };
                sb.Append(mapped ?? text.Substring(i, 2));
                i++;
            }
            else sb.Append(text[i]);
        }
        return sb.ToString();
    }
}
