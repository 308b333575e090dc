using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace OpsBot.Testing;

/// <summary>Roster answers (paged members, single member) and slow answers of the fake connector.</summary>
public sealed partial class FakeConnector
{
    private volatile JsonObject[] _members = [];
    private int _defaultPageSize = 2;

    /// <summary>The roster served by <c>pagedmembers</c> (pages of <paramref name="defaultPageSize"/> unless the client asks) and <c>members/{id}</c>.</summary>
    public void SetMembers(int defaultPageSize, params JsonObject[] members)
    {
        _defaultPageSize = defaultPageSize;
        _members = members;
    }

    /// <summary>Queues an answer that arrives only after <paramref name="delay"/> (then the default success answer).</summary>
    public void RespondAfter(TimeSpan delay) =>
        _script.Enqueue(async ctx =>
        {
            await Task.Delay(delay, ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return ctx.RequestAborted.IsCancellationRequested;
        });

    private async Task<bool> TryRouteAsync(HttpContext ctx)
    {
        if (ctx.Request.Method != "GET") return false;
        var segments = ctx.Request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var v3 = Array.IndexOf(segments, "v3");
        if (v3 < 0 || segments.Length < v3 + 4 || segments[v3 + 1] != "conversations") return false;

        if (segments[v3 + 3] == "pagedmembers")
        {
            var size = int.TryParse(ctx.Request.Query["pageSize"], out var s) ? s : _defaultPageSize;
            var start = int.TryParse(ctx.Request.Query["continuationToken"].ToString().Replace("page-", "", StringComparison.Ordinal), out var p) ? p : 0;
            var page = new JsonObject { ["members"] = new JsonArray(_members.Skip(start).Take(size).Select(m => (JsonNode)m.DeepClone()).ToArray()) };
            if (start + size < _members.Length) page["continuationToken"] = $"page-{start + size}";
            await WriteJsonAsync(ctx, HttpStatusCode.OK, page);
            return true;
        }
        if (segments[v3 + 3] == "members" && segments.Length == v3 + 5)
        {
            var id = Uri.UnescapeDataString(segments[v3 + 4]);
            var member = _members.FirstOrDefault(m => new[] { "id", "aadObjectId", "userPrincipalName" }
                .Any(k => string.Equals(m[k]?.GetValue<string>(), id, StringComparison.OrdinalIgnoreCase)));
            if (member is null)
                await WriteJsonAsync(ctx, HttpStatusCode.NotFound, JsonNode.Parse("""{"error":{"code":"MemberNotFoundInConversation","message":"The member was not found in the conversation."}}""")!);
            else
                await WriteJsonAsync(ctx, HttpStatusCode.OK, member.DeepClone());
            return true;
        }
        return false;
    }

    private static async Task WriteJsonAsync(HttpContext ctx, HttpStatusCode status, JsonNode body)
    {
        ctx.Response.StatusCode = (int)status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString());
    }
}
