using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using OpsBot.BotFramework.Schema;

namespace OpsBot.Testing;

/// <summary>Builds JWTs byte by byte, so that broken ones (alg none, HS256 with the public key, RS512, no exp) can be made too.</summary>
public static class TestTokens
{
    public const string ChannelIssuer = "https://api.botframework.com";

    public static string Sign(JsonObject header, JsonObject payload, Func<byte[], byte[]>? signer)
    {
        var input = Part(header) + "." + Part(payload);
        var signature = signer is null ? "" : Base64UrlEncoder.Encode(signer(Encoding.ASCII.GetBytes(input)));
        return input + "." + signature;
    }

    public static string Rs256(TestSigningKey key, JsonObject payload, string? kid = null) =>
        Sign(Header("RS256", kid ?? key.Kid), payload, d => key.Rsa.SignData(d, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public static JsonObject Header(string alg, string? kid) =>
        kid is null ? new JsonObject { ["alg"] = alg, ["typ"] = "JWT" } : new JsonObject { ["alg"] = alg, ["kid"] = kid, ["typ"] = "JWT" };

    /// <summary>The payload Teams sends: issuer BF, audience app id, serviceurl, valid for 5 more minutes.</summary>
    public static JsonObject ChannelPayload(string appId, string serviceUrl, DateTimeOffset now) => new()
    {
        ["iss"] = ChannelIssuer,
        ["aud"] = appId,
        ["serviceurl"] = serviceUrl,
        ["nbf"] = now.AddMinutes(-1).ToUnixTimeSeconds(),
        ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
    };

    /// <summary>A Teams SSO (Entra v2) token's payload for a person: issuer and tenant, audience, object id and name, valid for an hour unless <paramref name="expires"/>.</summary>
    public static JsonObject PersonPayload(string tenant, string audience, string oid, DateTimeOffset? expires = null)
    {
        var exp = expires ?? DateTimeOffset.UtcNow.AddHours(1);
        return new JsonObject
        {
            ["iss"] = $"https://login.microsoftonline.com/{tenant}/v2.0",
            ["aud"] = audience,
            ["tid"] = tenant,
            ["oid"] = oid,
            ["name"] = "Tab Viewer",
            ["iat"] = exp.AddHours(-1).ToUnixTimeSeconds(),
            ["nbf"] = exp.AddHours(-1).ToUnixTimeSeconds(),
            ["exp"] = exp.ToUnixTimeSeconds(),
        };
    }

    private static string Part(JsonObject o) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(o.ToJsonString()));

    public static async Task<HttpResponseMessage> PostAsync(this HttpClient client, Activity activity, string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages")
        {
            Content = System.Net.Http.Json.JsonContent.Create(activity, options: BotJson.Options),
        };
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return await client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostBearerAsync(this HttpClient client, Activity activity, string token) =>
        client.PostAsync(activity, "Bearer " + token);
}
