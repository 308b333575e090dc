using System.Globalization;

namespace OpsBot.Cards;

/// <summary>
/// The registry of the AEL prebuilt functions OpsBot supports, with adaptive-expressions 4.23.3 semantics (argument checks,
/// substitution rules, JS number and date behaviour, en-US default locale); one class per AEL function family implements them.
/// Unsupported names are unknown functions and fail start-up.
/// </summary>
internal static class Functions
{
    private sealed record Def(int Min, int Max, FunctionImpl Impl, bool Lambda = false);

    private const int Many = int.MaxValue;

    public static readonly FunctionImpl ConcatImpl = StringFunctions.Concat;

    private static readonly Dictionary<string, Def> Table = new(StringComparer.Ordinal)
    {
        ["if"] = new(3, 3, LogicFunctions.If),
        ["&&"] = new(1, Many, LogicFunctions.And), ["and"] = new(1, Many, LogicFunctions.And),
        ["||"] = new(1, Many, LogicFunctions.Or), ["or"] = new(1, Many, LogicFunctions.Or),
        ["!"] = new(1, 1, LogicFunctions.Not), ["not"] = new(1, 1, LogicFunctions.Not),
        ["=="] = new(2, 2, LogicFunctions.Equal), ["equals"] = new(2, 2, LogicFunctions.Equal),
        ["!="] = new(2, 2, LogicFunctions.NotEqual),
        ["<"] = new(2, 2, LogicFunctions.Less), ["less"] = new(2, 2, LogicFunctions.Less),
        ["<="] = new(2, 2, LogicFunctions.LessOrEquals), ["lessOrEquals"] = new(2, 2, LogicFunctions.LessOrEquals),
        [">"] = new(2, 2, LogicFunctions.Greater), ["greater"] = new(2, 2, LogicFunctions.Greater),
        [">="] = new(2, 2, LogicFunctions.GreaterOrEquals), ["greaterOrEquals"] = new(2, 2, LogicFunctions.GreaterOrEquals),
        ["exists"] = new(1, 1, LogicFunctions.Exists),
        ["empty"] = new(1, 1, LogicFunctions.Empty),
        ["??"] = new(1, Many, LogicFunctions.Coalesce), ["coalesce"] = new(1, Many, LogicFunctions.Coalesce),

        ["+"] = new(2, Many, MathFunctions.Add), ["add"] = new(2, Many, MathFunctions.Add),
        ["-"] = new(2, Many, MathFunctions.Sub), ["sub"] = new(2, Many, MathFunctions.Sub),
        ["*"] = new(2, Many, MathFunctions.Mul), ["mul"] = new(2, Many, MathFunctions.Mul),
        ["/"] = new(2, Many, MathFunctions.Div), ["div"] = new(2, Many, MathFunctions.Div),
        ["%"] = new(2, 2, MathFunctions.Mod), ["mod"] = new(2, 2, MathFunctions.Mod),
        ["^"] = new(2, Many, MathFunctions.Power), ["exp"] = new(2, Many, MathFunctions.Power),
        ["min"] = new(1, Many, MathFunctions.Min),
        ["max"] = new(1, Many, MathFunctions.Max),
        ["sum"] = new(1, 1, MathFunctions.Sum),
        ["average"] = new(1, 1, MathFunctions.Average),
        ["round"] = new(1, 2, MathFunctions.Round),
        ["floor"] = new(1, 1, MathFunctions.Floor),
        ["ceiling"] = new(1, 1, MathFunctions.Ceiling),
        ["abs"] = new(1, 1, MathFunctions.Abs),
        ["range"] = new(2, 2, MathFunctions.Range),

        ["&"] = new(1, Many, StringFunctions.Concat), ["concat"] = new(1, Many, StringFunctions.Concat),
        ["length"] = new(1, 1, StringFunctions.Length),
        ["toUpper"] = new(1, 2, StringFunctions.ToUpper),
        ["toLower"] = new(1, 2, StringFunctions.ToLower),
        ["trim"] = new(1, 1, StringFunctions.Trim),
        ["substring"] = new(2, 3, StringFunctions.Substring),
        ["replace"] = new(3, 3, StringFunctions.Replace),
        ["replaceIgnoreCase"] = new(3, 3, StringFunctions.ReplaceIgnoreCase),
        ["split"] = new(1, 2, StringFunctions.Split),
        ["startsWith"] = new(2, 2, StringFunctions.StartsWith),
        ["endsWith"] = new(2, 2, StringFunctions.EndsWith),
        ["indexOf"] = new(2, 2, StringFunctions.IndexOf),
        ["lastIndexOf"] = new(2, 2, StringFunctions.LastIndexOf),

        ["string"] = new(1, 2, ConversionFunctions.StringFn),
        ["int"] = new(1, 1, ConversionFunctions.Int),
        ["float"] = new(1, 1, ConversionFunctions.Float),
        ["bool"] = new(1, 1, ConversionFunctions.Bool),
        ["json"] = new(1, 1, ConversionFunctions.Json),
        ["jsonStringify"] = new(1, 1, ConversionFunctions.JsonStringify),
        ["createArray"] = new(0, Many, ConversionFunctions.CreateArray),
        ["formatNumber"] = new(2, 3, ConversionFunctions.FormatNumber),

        ["count"] = new(1, 1, CollectionFunctions.Count),
        ["join"] = new(2, 3, CollectionFunctions.Join),
        ["contains"] = new(2, 2, CollectionFunctions.Contains),
        ["first"] = new(1, 1, CollectionFunctions.First),
        ["last"] = new(1, 1, CollectionFunctions.Last),
        ["take"] = new(2, 2, CollectionFunctions.Take),
        ["skip"] = new(2, 2, CollectionFunctions.Skip),
        ["indicesAndValues"] = new(1, 1, CollectionFunctions.IndicesAndValues),
        ["where"] = new(3, 3, CollectionFunctions.Where, Lambda: true),
        ["select"] = new(3, 3, CollectionFunctions.Select, Lambda: true),
        ["foreach"] = new(3, 3, CollectionFunctions.Select, Lambda: true),
        ["any"] = new(3, 3, CollectionFunctions.Any, Lambda: true),
        ["all"] = new(3, 3, CollectionFunctions.All, Lambda: true),

        ["formatDateTime"] = new(1, 3, DateTimeFunctions.FormatDateTime),
    };

    public static bool IsKnown(string name) => Table.ContainsKey(name);

    public static IEnumerable<string> Names => Table.Keys;

    /// <summary>Builds a call, checking the name and the argument count as AEL does when the template is constructed.</summary>
    public static CallExpr Make(string name, Expr[] args)
    {
        if (!Table.TryGetValue(name, out var def)) throw new TemplateSyntaxException($"unknown function '{name}'");
        if (args.Length < def.Min || args.Length > def.Max)
        {
            var expected = def.Min == def.Max ? def.Min.ToString(CultureInfo.InvariantCulture) : def.Max == Many ? $"at least {def.Min}" : $"{def.Min} to {def.Max}";
            throw new TemplateSyntaxException($"function '{name}' expects {expected} argument(s) but got {args.Length}");
        }
        if (def.Lambda && args[1] is not AccessorExpr { Instance: null })
            throw new TemplateSyntaxException($"function '{name}': the second argument must be an identifier (the lambda variable)");
        return new CallExpr(name, args, def.Impl);
    }
}
