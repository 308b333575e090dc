using System.Buffers;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace OpsBot.Customers;

/// <summary>
/// Pure customer-name matching: <see cref="Normalize"/> makes "ACME Corp.", "Acme Corporation" and "the acme corp" the same
/// string (case, accents, punctuation, legal suffixes), and <see cref="Similarity"/> scores two names in [0, 1] for fuzzy
/// suggestions over a candidate set already narrowed by the database (a prefix or token lookup on <see cref="SearchKey"/>).
/// </summary>
public static class CustomerNames
{
    private const int MaxChars = 256;
    private const int MaxTokens = 32;

    // Legal-form suffixes as normalised token sequences ("S.A." → "s a"), removed repeatedly from the end:
    // "GmbH & Co. KG" → "gmbh and co kg" → "gmbh and co" → "gmbh" → "".
    private static readonly string[][] Suffixes = new[]
    {
        "inc", "incorporated", "ltd", "limited", "llc", "l l c", "llp", "lp", "plc", "gmbh", "mbh", "ag", "kg", "kgaa", "ohg", "ug",
        "sa", "s a", "sas", "s a s", "sarl", "s a r l", "srl", "s r l", "spa", "s p a", "sl", "s l", "sau", "s a u", "sa de cv", "s a de c v", "sab de cv", "s a b de c v", "sab",
        "ltda", "bv", "b v", "nv", "n v", "vof", "kk", "k k", "gk", "yk", "co", "corp", "corporation", "company",
        "and co", "and company", "oy", "oyj", "ab", "as", "a s", "asa", "aps", "a p s", "pty", "pte", "pvt", "private", "se",
        "sdn bhd", "bhd", "sp z o o", "spzoo", "sro", "s r o", "zrt", "kft", "doo", "d o o", "ou", "sae", "jsc", "pjsc", "ooo",
    }.Select(s => s.Split(' ')).OrderByDescending(s => s.Length).ToArray();

    // Words that say little about which customer it is: they count a quarter of a distinctive word in Similarity.
    private static readonly FrozenSet<string> Generic = new[]
    {
        "and", "of", "de", "du", "des", "la", "le", "der", "die", "das", "und", "et", "y", "group", "groupe", "gruppe", "holding", "holdings",
        "international", "intl", "global", "industries", "industrie", "industry", "services", "service", "solutions", "systems",
        "technologies", "technology", "tech", "trading", "enterprises", "partners", "associates", "bank", "manufacturing", "europe",
        "america", "americas", "asia", "usa", "uk", "north", "south", "east", "west", "national",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> GenericSpan = Generic.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>
    /// Lower-case words separated by one space: accents removed (ß → ss, æ → ae, ø → o), <c>&amp;</c> → and, punctuation → space,
    /// legal suffixes dropped from the end and a leading "the" dropped, but never the last word ("The Company" stays "company").
    /// </summary>
    public static string Normalize(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "";
        var decomposed = (name.Length > MaxChars ? name[..MaxChars] : name).Normalize(NormalizationForm.FormD);
        var buffer = ArrayPool<char>.Shared.Rent(decomposed.Length * 5 + 8);
        try
        {
            var n = 0;
            var space = true;
            void Put(char c)
            {
                if (c == ' ')
                {
                    if (!space) buffer[n++] = ' ';
                    space = true;
                }
                else
                {
                    buffer[n++] = c;
                    space = false;
                }
            }
            foreach (var c in decomposed)
            {
                switch (c)
                {
                    case 'ß': Put('s'); Put('s'); continue;
                    case 'æ' or 'Æ': Put('a'); Put('e'); continue;
                    case 'œ' or 'Œ': Put('o'); Put('e'); continue;
                    case 'ø' or 'Ø': Put('o'); continue;
                    case 'ł' or 'Ł': Put('l'); continue;
                    case 'đ' or 'Đ': Put('d'); continue;
                    case 'þ' or 'Þ': Put('t'); Put('h'); continue;
                    case 'ı': Put('i'); continue;
                    case '&': Put(' '); Put('a'); Put('n'); Put('d'); Put(' '); continue;
                    case '\'' or '’' or '`' or '´': continue;
                }
                var category = CharUnicodeInfo.GetUnicodeCategory(c);
                if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark) continue;
                Put(char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : ' ');
            }
            if (n > 0 && buffer[n - 1] == ' ') n--;
            var text = buffer.AsSpan(0, n);
            Span<Range> words = stackalloc Range[MaxTokens + 1];
            var count = text.Split(words, ' ');
            if (count > MaxTokens) return text.ToString();
            var first = count > 1 && text[words[0]].SequenceEqual("the") ? 1 : 0;
            var last = count;
            for (var removed = true; removed && last - first > 1;)
            {
                removed = false;
                foreach (var suffix in Suffixes)
                {
                    if (suffix.Length >= last - first || !EndsWith(text, words[first..last], suffix)) continue;
                    last -= suffix.Length;
                    removed = true;
                    break;
                }
            }
            if (first == 0 && last == count) return text.ToString();
            return text[words[first].Start.Value..words[last - 1].End.Value].ToString();
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private static bool EndsWith(ReadOnlySpan<char> text, ReadOnlySpan<Range> words, string[] suffix)
    {
        for (int i = suffix.Length - 1, w = words.Length - 1; i >= 0; i--, w--)
            if (!text[words[w]].SequenceEqual(suffix[i])) return false;
        return true;
    }

    /// <summary>The distinct words of the normalised name, in order.</summary>
    public static IReadOnlyList<string> Tokens(string? name)
    {
        var normalized = Normalize(name);
        if (normalized.Length == 0) return [];
        var tokens = new List<string>();
        foreach (var range in normalized.AsSpan().Split(' '))
        {
            var token = normalized[range];
            if (!tokens.Contains(token)) tokens.Add(token);
        }
        return tokens;
    }

    /// <summary>The normalised name without spaces ("Micro Soft Ltd" → "microsoft"), to store and search with <c>LIKE 'key%'</c>.</summary>
    public static string SearchKey(string? name) => Normalize(name).Replace(" ", "", StringComparison.Ordinal);

    /// <summary>How alike two names are, in [0, 1]: 1 when they normalise to the same string.</summary>
    public static double Similarity(string? a, string? b) => SimilarityOfNormalized(Normalize(a), Normalize(b));

    /// <summary>
    /// <see cref="Similarity"/> of two names already passed through <see cref="Normalize"/> (normalise the query once, store the
    /// candidates normalised): no allocation. Blends word overlap (Jaccard and containment, a word matching its closest
    /// counterpart by Jaro-Winkler so "zenith" ≈ "zenit", generic words such as "group" weighing a quarter) with Jaro-Winkler on
    /// the distinctive words.
    /// </summary>
    public static double SimilarityOfNormalized(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        if (a.Length == 0 || b.Length == 0) return 0;
        if (a.SequenceEqual(b)) return 1;
        if (a.Length > MaxChars) a = a[..MaxChars];
        if (b.Length > MaxChars) b = b[..MaxChars];
        if (SameWithoutSpaces(a, b)) return 0.98;
        Span<Range> wa = stackalloc Range[MaxTokens];
        Span<Range> wb = stackalloc Range[MaxTokens];
        var na = Math.Min(a.Split(wa, ' '), MaxTokens);
        var nb = Math.Min(b.Split(wb, ' '), MaxTokens);
        var tokens = TokenOverlap(a, wa[..na], b, wb[..nb]);
        if (tokens >= 0.999) return 0.97;
        // Characters are compared on the distinctive words, so "Acme Industries" and "Globex Industries" do not look alike.
        Span<char> da = stackalloc char[a.Length];
        Span<char> db = stackalloc char[b.Length];
        var la = Distinctive(a, wa[..na], da);
        var lb = Distinctive(b, wb[..nb], db);
        var chars = JaroWinkler(la > 0 ? da[..la] : a, lb > 0 ? db[..lb] : b);
        return Math.Min(0.98, 0.6 * tokens + 0.4 * chars);
    }

    private static int Distinctive(ReadOnlySpan<char> text, ReadOnlySpan<Range> words, Span<char> into)
    {
        var n = 0;
        foreach (var r in words)
        {
            var word = text[r];
            if (GenericSpan.Contains(word)) continue;
            if (n > 0) into[n++] = ' ';
            word.CopyTo(into[n..]);
            n += word.Length;
        }
        return n;
    }

    private static bool SameWithoutSpaces(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        int i = 0, j = 0;
        while (true)
        {
            while (i < a.Length && a[i] == ' ') i++;
            while (j < b.Length && b[j] == ' ') j++;
            if (i == a.Length || j == b.Length) return i == a.Length && j == b.Length;
            if (a[i++] != b[j++]) return false;
        }
    }

    private static double TokenOverlap(ReadOnlySpan<char> a, ReadOnlySpan<Range> wa, ReadOnlySpan<char> b, ReadOnlySpan<Range> wb)
    {
        double weightA = 0, weightB = 0;
        foreach (var r in wa) weightA += Weight(a[r]);
        foreach (var r in wb) weightB += Weight(b[r]);
        var shared = weightA <= weightB ? Shared(a, wa, b, wb) : Shared(b, wb, a, wa);
        var union = weightA + weightB - shared;
        var jaccard = union <= 0 ? 0 : shared / union;
        var smaller = Math.Min(weightA, weightB);
        var containment = smaller <= 0 ? 0 : shared / smaller;
        return (jaccard + containment) / 2;
    }

    // Each word of the shorter name counts with its closest word in the longer one, when close enough.
    private static double Shared(ReadOnlySpan<char> small, ReadOnlySpan<Range> smallWords, ReadOnlySpan<char> large, ReadOnlySpan<Range> largeWords)
    {
        var shared = 0.0;
        foreach (var rs in smallWords)
        {
            var word = small[rs];
            var best = 0.0;
            foreach (var rl in largeWords)
            {
                var other = large[rl];
                var s = word.SequenceEqual(other) ? 1 : word.Length >= 4 && other.Length >= 4 ? JaroWinkler(word, other) : 0;
                if (s > best) best = s;
            }
            if (best >= 0.88) shared += best * Weight(word);
        }
        return shared;
    }

    private static double Weight(ReadOnlySpan<char> word) => GenericSpan.Contains(word) ? 0.25 : 1;

    /// <summary>Jaro-Winkler similarity (prefix scale 0.1, up to 4 characters).</summary>
    public static double JaroWinkler(ReadOnlySpan<char> s, ReadOnlySpan<char> t)
    {
        if (s.Length == 0 || t.Length == 0) return 0;
        if (s.Length > MaxChars) s = s[..MaxChars];
        if (t.Length > MaxChars) t = t[..MaxChars];
        var window = Math.Max(0, Math.Max(s.Length, t.Length) / 2 - 1);
        Span<bool> sMatched = stackalloc bool[s.Length];
        Span<bool> tMatched = stackalloc bool[t.Length];
        var matches = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var from = Math.Max(0, i - window);
            var to = Math.Min(t.Length - 1, i + window);
            for (var j = from; j <= to; j++)
            {
                if (tMatched[j] || s[i] != t[j]) continue;
                sMatched[i] = tMatched[j] = true;
                matches++;
                break;
            }
        }
        if (matches == 0) return 0;
        var transpositions = 0;
        for (int i = 0, k = 0; i < s.Length; i++)
        {
            if (!sMatched[i]) continue;
            while (!tMatched[k]) k++;
            if (s[i] != t[k]) transpositions++;
            k++;
        }
        double m = matches;
        var jaro = (m / s.Length + m / t.Length + (m - transpositions / 2.0) / m) / 3;
        var prefix = 0;
        while (prefix < 4 && prefix < s.Length && prefix < t.Length && s[prefix] == t[prefix]) prefix++;
        return jaro + prefix * 0.1 * (1 - jaro);
    }
}
