using System.Text.Json.Nodes;

namespace OpsBot.Cards.Tests;

/// <summary>The engine construct by construct (adaptive-cards.md §7); reference behaviour is also proven by the conformance theories.</summary>
public class TemplateEngineTests
{
    private static JsonNode? Expand(string template, string data, string? host = null) =>
        TemplateEngine.Expand(JsonNode.Parse(template), JsonNode.Parse(data), host is null ? null : JsonNode.Parse(host));

    private static string Text(string template, string data) => Expand(template, data)!["t"]!.GetValue<string>();

    [Fact]
    public void Missing_path_keeps_its_source_text_in_whole_and_partial_strings()
    {
        var r = Expand("""{"a":"${x}","b":"Hi ${who}!","c":"${o.p.q}","d":"${o.p.q} and ${o.k}"}""", """{"o":{"k":1}}""")!;
        Assert.Equal("${x}", r["a"]!.GetValue<string>());
        Assert.Equal("Hi ${who}!", r["b"]!.GetValue<string>());
        Assert.Equal("${o.p.q}", r["c"]!.GetValue<string>());
        Assert.Equal("${o.p.q} and 1", r["d"]!.GetValue<string>());
    }

    [Fact]
    public void Null_is_kept_as_null_but_fails_inside_text()
    {
        var r = Expand("""{"a":"${n}","b":"${n.x}"}""", """{"n":null}""")!.AsObject();
        Assert.True(r.ContainsKey("a"));
        Assert.Null(r["a"]);
        Assert.Equal("${n.x}", r["b"]!.GetValue<string>());
        var ex = Assert.Throws<CardRenderException>(() => Expand("""{"t":"v${n}"}""", """{"n":null}"""));
        Assert.StartsWith("template at $.t:", ex.Message);
    }

    [Fact]
    public void Function_yielding_undefined_removes_the_property()
    {
        var r = Expand("""{"a":"${first(xs)}","b":"kept"}""", """{"xs":[]}""")!.AsObject();
        Assert.False(r.ContainsKey("a"));
        Assert.Equal("kept", r["b"]!.GetValue<string>());
    }

    [Fact]
    public void Array_data_repeats_with_index_and_root()
    {
        var r = Expand("""{"items":[{"$data":"${rows}","t":"${$index}:${name}@${$root.site}"}]}""", """{"site":"HQ","rows":[{"name":"a"},{"name":"b"},{"name":"c"}]}""")!;
        Assert.Equal(["0:a@HQ", "1:b@HQ", "2:c@HQ"], r["items"]!.AsArray().Select(i => i!["t"]!.GetValue<string>()));
    }

    [Fact]
    public void Nested_data_scopes_restore_the_outer_item_and_index()
    {
        var r = Expand("""
            {"g":[{"$data":"${groups}","rows":[{"$data":"${rows}","t":"${$index}${v}"}],"after":"${name}#${$index}"}]}
            """, """{"groups":[{"name":"G1","rows":[{"v":"a"},{"v":"b"}]},{"name":"G2","rows":[]}]}""")!;
        var groups = r["g"]!.AsArray();
        Assert.Equal("""{"rows":[{"t":"0a"},{"t":"1b"}],"after":"G1#0"}""", groups[0]!.ToJsonString());
        Assert.Equal("""{"rows":[],"after":"G2#1"}""", groups[1]!.ToJsonString());
    }

    [Fact]
    public void Object_data_changes_scope_without_an_index()
    {
        Assert.Equal("""{"c":{"n":"Ann","i":"${$index}"}}""", Expand("""{"c":{"$data":"${owner}","n":"${name}","i":"${$index}"}}""", """{"owner":{"name":"Ann"}}""")!.ToJsonString());
    }

    [Fact]
    public void When_false_removes_the_element_and_only_boolean_true_keeps_it()
    {
        var r = Expand("""
            {"body":[{"$when":"${show}","v":1},{"$when":"${!show}","v":2},{"$when":"${'true'}","v":3},{"$when":true,"v":4},{"$when":"${missing}","v":5}]}
            """, """{"show":false}""")!;
        Assert.Equal("""[{"v":2}]""", r["body"]!.ToJsonString());
    }

    [Fact]
    public void Empty_array_data_removes_the_element_and_is_null_as_a_property()
    {
        Assert.Equal("""{"body":[{"t":"head"}],"sel":null}""",
            Expand("""{"body":[{"t":"head"},{"$data":"${xs}","t":"${x}"}],"sel":{"$data":"${xs}","type":"Action.OpenUrl"}}""", """{"xs":[]}""")!.ToJsonString());
    }

    [Fact]
    public void Escapes_give_literal_dollar_brace_and_backtick()
    {
        Assert.Equal("${literal} and x", Text("""{"t":"\\${literal} and ${v}"}""", """{"v":"x"}"""));
        Assert.Equal("`x`", Text("""{"t":"\\`${v}\\`"}""", """{"v":"x"}"""));
        Assert.Equal("a\\nb x", Text("""{"t":"a\\nb ${v}"}""", """{"v":"x"}"""));
        Assert.Equal("no ${ template", Text("""{"t":"no ${ template"}""", "{}"));
        Assert.Throws<CardTemplateException>(() => Expand("""{"t":"a `b` ${v}"}""", "{}"));
    }

    [Fact]
    public void Real_lexer_finds_expression_boundaries()
    {
        Assert.Equal("{7}", Text("""{"t":"${concat('{', n, '}')}"}""", """{"n":7}"""));
        Assert.Equal("""{"a":1}""", Expand("""{"t":"${{a:1}}"}""", "{}")!["t"]!.ToJsonString());
        Assert.Equal("x } y", Text("""{"t":"x ${'}'} y"}""", "{}"));
    }

    [Fact]
    public void Single_expression_keeps_its_type_except_bare_literals()
    {
        var r = Expand("""{"n":"${qty}","b":"${ok}","o":"${meta}","a":"${tags}","l":"${2}","t":"${true}","m":"${-2}","s":" ${qty}"}""",
            """{"qty":12,"ok":true,"meta":{"k":"v"},"tags":["x"]}""")!;
        Assert.Equal("""{"n":12,"b":true,"o":{"k":"v"},"a":["x"],"l":"2","t":"true","m":-2,"s":" 12"}""", r.ToJsonString());
    }

    [Fact]
    public void Lookup_falls_back_to_case_insensitive_and_indexes_fail_out_of_range()
    {
        Assert.Equal("Ann", Text("""{"t":"${Name}"}""", """{"name":"Ann"}"""));
        Assert.Equal("b", Text("""{"t":"${xs[i]}"}""", """{"xs":["a","b"],"i":1}"""));
        Assert.Equal("sp", Text("""{"t":"${$root['a b']}"}""", """{"a b":"sp"}"""));
        Assert.Throws<CardRenderException>(() => Expand("""{"t":"${xs[5]}"}""", """{"xs":[1]}"""));
    }

    [Fact]
    public void Arrays_drop_nulls_and_flatten_and_reserved_keys_are_stripped()
    {
        var r = Expand("""{"a":[1,null,[2,[3]],"${xs}",9],"$root":"x","$when2":"${v}","${k}":"${v}"}""", """{"xs":[4,5],"v":"val"}""")!;
        Assert.Equal("""{"a":[1,2,3,4,5,9],"$when2":"val","${k}":"val"}""", r.ToJsonString());
    }

    [Fact]
    public void Missing_values_become_substitution_text_inside_functions_but_not_in_conditions()
    {
        var r = Expand("""{"len":"${length(nick)}","co":"${coalesce(nick, 'd')}","ex":"${exists(nick)}","eq":"${nick == 'a'}","if":"${if(nick, 'y', 'n')}"}""", "{}")!;
        Assert.Equal("""{"len":7,"co":"${nick}","ex":false,"eq":false,"if":"n"}""", r.ToJsonString());
    }

    [Fact]
    public void Operators_follow_AEL_precedence()
    {
        var r = Expand("""{"a":"${-2 ^ 2}","b":"${2 + 3 * 4}","c":"${'v' + 1}","d":"${'a' & 1}","e":"${1 < 2 && !false}","f":"${x ?? 'd'}","g":"${7 % 3}","h":"${t ? 1 : 2}"}""", """{"t":true,"x":null}""")!;
        Assert.Equal("""{"a":4,"b":14,"c":"v1","d":"a1","e":true,"f":"d","g":1,"h":1}""", r.ToJsonString());
    }

    [Fact]
    public void Number_and_date_functions_use_en_US_and_js_rules()
    {
        var r = Expand("""
            {"a":"${formatNumber(1234.567, 2)}","b":"${formatNumber(-2.5, 0)}","c":"${string(1234.5)}","d":"${string(-5)}","e":"${div(-7, 2)}",
             "f":"${formatDateTime(ts, 'dddd d MMMM yyyy h:mm tt')}","g":"${formatDateTime(ts)}","h":"${0.1 + 0.2}","i":"x${big}","j":"${formatNumber(1234.5, 1, 'de-DE')}"}
            """, """{"ts":"2026-11-23T23:30:00-05:00","big":1e21}""")!;
        Assert.Equal("1,234.57", r["a"]!.GetValue<string>());
        Assert.Equal("\u22122", r["b"]!.GetValue<string>());
        Assert.Equal("1,234.5", r["c"]!.GetValue<string>());
        Assert.Equal("\u22125", r["d"]!.GetValue<string>());
        Assert.Equal(-4, r["e"]!.GetValue<long>());
        Assert.Equal("Tuesday 24 November 2026 4:30 AM", r["f"]!.GetValue<string>());
        Assert.Equal("2026-11-24T04:30:00.000Z", r["g"]!.GetValue<string>());
        Assert.Equal(0.30000000000000004, r["h"]!.GetValue<double>());
        Assert.Equal("x1e+21", r["i"]!.GetValue<string>());
        Assert.Equal("1.234,5", r["j"]!.GetValue<string>());
    }

    [Fact]
    public void String_functions()
    {
        var r = Expand("""{"a":"${toUpper(c)}","b":"${substring(c, 0, 2)}","c":"${join(xs, ', ', ' and ')}","d":"${replace(c, 'x', 'y')}","e":"${toUpper('i', 'tr-TR')}","f":"${concat(c, '-', n)}"}""",
            """{"c":"ax-77","xs":["A","B","C"],"n":42}""")!;
        Assert.Equal("""{"a":"AX-77","b":"ax","c":"A, B and C","d":"ay-77","e":"İ","f":"ax-77-42"}""", r.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Assert.Throws<CardRenderException>(() => Expand("""{"t":"${substring('abc', 1, 5)}"}""", "{}"));
        Assert.Throws<CardRenderException>(() => Expand("""{"t":"${length(xs)}"}""", """{"xs":[1]}"""));
    }

    [Fact]
    public void Root_data_array_produces_an_array_of_cards_and_root_when_false_null()
    {
        Assert.Equal("""[{"t":"one"},{"t":"two"}]""", Expand("""{"$data":"${cards}","t":"${t}"}""", """{"cards":[{"t":"one"},{"t":"two"}]}""")!.ToJsonString());
        Assert.Null(Expand("""{"$when":"${false}","t":1}""", "{}"));
    }

    [Fact]
    public void Host_scope()
    {
        Assert.Equal("""{"t":"dark","u":"${$host.missing}"}""", Expand("""{"t":"${$host.theme}","u":"${$host.missing}"}""", "{}", """{"theme":"dark"}""")!.ToJsonString());
    }

    [Fact]
    public void Interpolated_text_joins_escaped_non_ascii_and_split_surrogate_parts_exactly()
    {
        var r = Expand("""{"t":"${a}|${b}|${c}|${substring(e, 0, 1)}${substring(e, 1, 1)}|${n} ${o.k}"}""",
            """{"a":"say \"hi\"\n\\ ok","b":"Zürich · 東京","c":"\ud83d\ude00","e":"😀","n":1.5,"o":{"k":true}}""")!;
        Assert.Equal("say \"hi\"\n\\ ok|Zürich · 東京|😀|😀|1.5 true", r["t"]!.GetValue<string>());
    }
}
