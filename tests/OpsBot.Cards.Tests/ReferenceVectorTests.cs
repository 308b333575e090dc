using System.Text.Json.Nodes;

namespace OpsBot.Cards.Tests;

/// <summary>adaptive-cards.md §8: the reference outputs of adaptivecards-templating 2.3.1 + adaptive-expressions 4.23.3, verbatim.</summary>
public class ReferenceVectorTests
{
    public static TheoryData<string, string, string, string?, string> Vectors => new()
    {
        { "V01 paths/index", """{"type":"TextBlock","text":"${customer.name} / ${orders[1].id}"}""", """{"customer":{"name":"Contoso"},"orders":[{"id":"SO-1"},{"id":"SO-2"}]}""", null, """{"type":"TextBlock","text":"Contoso / SO-2"}""" },
        { "V02 type preservation", """{"n":"${qty}","b":"${urgent}","o":"${meta}","a":"${tags}"}""", """{"qty":12,"urgent":true,"meta":{"k":"v"},"tags":["x","y"]}""", null, """{"n":12,"b":true,"o":{"k":"v"},"a":["x","y"]}""" },
        { "V03 stringification", """{"t":"qty=${qty} ok=${ok} tags=${tags} meta=${meta} f=${f}"}""", """{"qty":12,"ok":false,"tags":["x","y"],"meta":{"k":"v"},"f":0.5}""", null, """{"t":"qty=12 ok=false tags=x,y meta=[object Object] f=0.5"}""" },
        { "V04 missing keeps source text", """{"a":"${missing}","b":"Hi ${who}!","c":"${a.b.c}"}""", """{"a":{}}""", null, """{"a":"${missing}","b":"Hi ${who}!","c":"${a.b.c}"}""" },
        { "V05 null", """{"a":"${n}"}""", """{"n":null}""", null, """{"a":null}""" },
        { "V06 repetition, $index, $root", """{"type":"Container","items":[{"type":"TextBlock","$data":"${lines}","text":"${$index}. ${sku} of ${$root.order}"}]}""", """{"order":"SO-9","lines":[{"sku":"A"},{"sku":"B"}]}""", null, """{"type":"Container","items":[{"type":"TextBlock","text":"0. A of SO-9"},{"type":"TextBlock","text":"1. B of SO-9"}]}""" },
        { "V07 empty array removes", """{"body":[{"type":"TextBlock","text":"head"},{"type":"TextBlock","$data":"${lines}","text":"${sku}"}]}""", """{"lines":[]}""", null, """{"body":[{"type":"TextBlock","text":"head"}]}""" },
        { "V08 object $data, no $index", """{"type":"Container","$data":"${owner}","items":[{"type":"TextBlock","text":"${name} (${$index})"}]}""", """{"owner":{"name":"Ann"}}""", null, """{"type":"Container","items":[{"type":"TextBlock","text":"Ann (${$index})"}]}""" },
        { "V09 array of strings", """{"type":"FactSet","facts":[{"$data":"${flags}","title":"flag","value":"${$data}"}]}""", """{"flags":["late","vip"]}""", null, """{"type":"FactSet","facts":[{"title":"flag","value":"late"},{"title":"flag","value":"vip"}]}""" },
        { "V10 $when per item", """{"body":[{"type":"TextBlock","$data":"${alerts}","$when":"${level == 'high'}","text":"${id}"}]}""", """{"alerts":[{"id":"A1","level":"high"},{"id":"A2","level":"low"}]}""", null, """{"body":[{"type":"TextBlock","text":"A1"}]}""" },
        { "V11 $when strictness", """{"body":[{"type":"TextBlock","$when":"${flag}","text":"s"},{"type":"TextBlock","$when":"true","text":"lit"},{"type":"TextBlock","$when":"${count(xs) > 0}","text":"ok"}]}""", """{"flag":"true","xs":[1]}""", null, """{"body":[{"type":"TextBlock","text":"ok"}]}""" },
        { "V12 nested repetition", """{"body":[{"type":"Container","$data":"${groups}","items":[{"type":"TextBlock","$data":"${rows}","text":"${$index}:${v}"},{"type":"TextBlock","text":"g${$index}"}]}]}""", """{"groups":[{"rows":[{"v":"a"},{"v":"b"}]},{"rows":[{"v":"c"}]}]}""", null, """{"body":[{"type":"Container","items":[{"type":"TextBlock","text":"0:a"},{"type":"TextBlock","text":"1:b"},{"type":"TextBlock","text":"g0"}]},{"type":"Container","items":[{"type":"TextBlock","text":"0:c"},{"type":"TextBlock","text":"g1"}]}]}""" },
        { "V13 $host", """{"t":"${$host.theme}","u":"${$host.missing}"}""", """{}""", """{"theme":"dark"}""", """{"t":"dark","u":"${$host.missing}"}""" },
        { "V14 escape", """{"t":"\\${literal} and ${v}"}""", """{"v":"x"}""", null, """{"t":"${literal} and x"}""" },
        { "V15 keys and reserved props", """{"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","${k}":"${v}","$root":"gone"}""", """{"k":"key","v":"val"}""", null, """{"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","${k}":"val"}""" },
        { "V16 logic", """{"a":"${if(sla > 4, 'attention', 'good')}","b":"${equals(state, 'open')}","c":"${exists(nick)}","d":"${empty(notes)}","e":"${nick ?? 'n/a'}"}""", """{"sla":6,"state":"open","notes":""}""", null, """{"a":"attention","b":true,"c":false,"d":true,"e":"${nick}"}""" },
        { "V17 arithmetic", """{"a":"${div(7, 2)}","b":"${div(-7, 2)}","c":"${div(7, 2.5)}","d":"${mul(3, 0.5)}","e":"${add(1, 2) * 2}","f":"${mod(-7, 3)}"}""", """{}""", null, """{"a":3,"b":-4,"c":2.8,"d":1.5,"e":6,"f":-1}""" },
        { "V18 strings", """{"a":"${toUpper(code)}","b":"${substring(code, 0, 2)}","c":"${length(code)}","d":"${concat(a, '-', b)}","e":"${join(xs, ', ', ' and ')}","f":"${replace(code, 'x', 'y')}"}""", """{"code":"ax-77","a":"SO","b":42,"xs":["A","B","C"]}""", null, """{"a":"AX-77","b":"ax","c":5,"d":"SO-42","e":"A, B and C","f":"ay-77"}""" },
        { "V19 collections", """{"a":"${count(where(xs, x, x.open))}","b":"${join(select(xs, x, x.id), ',')}","c":"${first(xs).id}","d":"${last(xs).id}","e":"${where(xs, x => !x.open)}"}""", """{"xs":[{"id":"1","open":true},{"id":"2","open":false},{"id":"3","open":true}]}""", null, """{"a":2,"b":"1,2,3","c":"1","d":"3","e":[{"id":"2","open":false}]}""" },
        { "V20 conversions", """{"a":"${string(n)}","b":"${int('42')}","c":"${float('2.5')}","d":"${json(raw).k}","e":"${string(o)}","f":"${string(big)}"}""", """{"n":7,"raw":"{\"k\":[1,2]}","o":{"a":1},"big":1234.5}""", null, """{"a":"7","b":42,"c":2.5,"d":[1,2],"e":"{\"a\":1}","f":"1,234.5"}""" },
        { "V21 formatting", """{"a":"${formatNumber(amt, 2)}","b":"${formatNumber(neg, 0)}","c":"${formatDateTime(ts, 'yyyy-MM-dd HH:mm')}","d":"${formatDateTime(ts2, 'dd MMM yyyy')}","e":"${formatDateTime(ts)}"}""", """{"amt":1234.567,"neg":-2.5,"ts":"2026-11-23T14:05:00Z","ts2":"2026-11-23T23:30:00-05:00"}""", null, """{"a":"1,234.57","b":"−2","c":"2026-11-23 14:05","d":"24 Nov 2026","e":"2026-11-23T14:05:00.000Z"}""" },
        { "V22 substitution quirks", """{"a":"${length(nick)}","b":"${coalesce(nick, 'x')}","c":"${toLower(nick)}","d":"${if(nick, 'y', 'n')}","e":"${concat('<', nick, '>')}"}""", """{}""", null, """{"a":7,"b":"${nick}","c":"${nick}","d":"n","e":"<${nick}>"}""" },
        { "V23 literal-only expressions", """{"a":"${2}","b":"${true}","c":"${-2}","d":"${[1,2]}"}""", """{}""", null, """{"a":"2","b":"true","c":-2,"d":[1,2]}""" },
        { "V24 root repetition", """{"$data":"${cards}","type":"AdaptiveCard","body":[{"type":"TextBlock","text":"${t}"}]}""", """{"cards":[{"t":"one"},{"t":"two"}]}""", null, """[{"type":"AdaptiveCard","body":[{"type":"TextBlock","text":"one"}]},{"type":"AdaptiveCard","body":[{"type":"TextBlock","text":"two"}]}]""" },
        { "V25 Execute data + mention", """{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"<at>${exec.name}</at> please ack ${alertId}","wrap":true}],"actions":[{"type":"Action.Execute","title":"Ack","verb":"alert.ack","data":{"alertId":"${alertId}","rev":"${rev}"}}],"msteams":{"width":"Full","entities":[{"type":"mention","text":"<at>${exec.name}</at>","mentioned":{"id":"${exec.aadId}","name":"${exec.name}"}}]}}""", """{"alertId":"AL-7","rev":3,"exec":{"name":"Ann Lee","aadId":"00000000-0000-0000-0000-0000000000a1"}}""", null, """{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"<at>Ann Lee</at> please ack AL-7","wrap":true}],"actions":[{"type":"Action.Execute","title":"Ack","verb":"alert.ack","data":{"alertId":"AL-7","rev":3}}],"msteams":{"width":"Full","entities":[{"type":"mention","text":"<at>Ann Lee</at>","mentioned":{"id":"00000000-0000-0000-0000-0000000000a1","name":"Ann Lee"}}]}}""" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Vector_expands_like_the_reference(string name, string template, string data, string? host, string expected)
    {
        var result = TemplateEngine.Expand(JsonNode.Parse(template), JsonNode.Parse(data), host is null ? null : JsonNode.Parse(host));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), $"{name}: {result?.ToJsonString()}");
    }

    [Fact]
    public void V21_negative_number_uses_the_unicode_minus()
    {
        var result = TemplateEngine.Expand(JsonNode.Parse("""{"b":"${formatNumber(-2.5, 0)}"}"""), new JsonObject())!;
        Assert.Equal("\u22122", result["b"]!.GetValue<string>());
    }

    public static TheoryData<string, string, string> ErrorVectors => new()
    {
        { "unescaped backtick", """{"t":"use `x` ${a}"}""", """{"a":1}""" },
        { "index out of range", """{"t":"${a[5]}"}""", """{"a":[1]}""" },
        { "unknown function", """{"t":"${unknownFn(1)}"}""", """{}""" },
        { "null in text", """{"t":"v${n}"}""", """{"n":null}""" },
        { "timestamp not strict ISO", """{"t":"${addDays(t, 1)}"}""", """{"t":"2026-11-23T14:05:00Z"}""" },
    };

    [Theory]
    [MemberData(nameof(ErrorVectors))]
    public void Error_vector_fails(string name, string template, string data)
    {
        var ex = Record.Exception(() => TemplateEngine.Expand(JsonNode.Parse(template), JsonNode.Parse(data)));
        Assert.True(ex is CardTemplateException or CardRenderException, $"{name}: {ex?.GetType().Name ?? "no exception"}");
        Assert.Contains("$.t", ex!.Message);
    }
}
