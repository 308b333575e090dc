using Azure.Core.Pipeline;
using Azure.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Microsoft.Graph.Authentication;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using OpsBot.Data;

namespace OpsBot.People;

/// <summary>
/// The Graph directory source: the configured group's transitive user members become executives, each user's
/// manager their backup. Runs periodically (<see cref="GraphDirectorySyncService"/>) and on <c>exec sync</c>.
/// </summary>
public sealed partial class GraphDirectorySync(OpsBotDbContext db, IOptions<PeopleOptions> options, IHttpClientFactory http,
    TimeProvider time, ILogger<GraphDirectorySync> log)
{
    /// <summary>Named HttpClient that carries Azure.Identity's token requests.</summary>
    public const string IdentityClient = "graph-identity";
    public const string GraphClient = "graph";

    public async Task<GraphSyncResult> SyncAsync(CancellationToken ct)
    {
        var o = options.Value.Directory.Graph;
        if (string.IsNullOrEmpty(o.GroupId) || string.IsNullOrEmpty(o.ClientId))
            throw new InvalidOperationException("People:Directory:Graph:GroupId and ClientId must be configured for the Graph directory source.");
        var graph = CreateClient(o);

        var users = new List<User>();
        var page = await graph.Groups[o.GroupId].TransitiveMembers.GraphUser.GetAsync(
            r => r.QueryParameters.Select = ["id", "displayName", "mail", "userPrincipalName"], ct);
        while (page is not null)
        {
            users.AddRange(page.Value ?? []);
            page = page.OdataNextLink is { } next
                ? await graph.Groups[o.GroupId].TransitiveMembers.GraphUser.WithUrl(next).GetAsync(cancellationToken: ct)
                : null;
        }

        var managers = new Dictionary<string, User?>();
        foreach (var user in users.Where(u => u.Id is not null))
        {
            try
            {
                managers[user.Id!] = await graph.Users[user.Id].Manager.GetAsync(r => r.QueryParameters.Select = ["id", "displayName"], ct) as User;
            }
            catch (ODataError e) when (e.ResponseStatusCode == 404)
            {
                managers[user.Id!] = null;
            }
        }

        var now = time.GetUtcNow().UtcDateTime;
        var ids = users.Where(u => u.Id is not null).Select(u => u.Id!).ToHashSet();
        var existing = await db.Executives.Where(e => e.Source == DirectorySource.Graph || ids.Contains(e.Id)).ToDictionaryAsync(e => e.Id, ct);
        int added = 0, updated = 0, deactivated = 0;
        foreach (var user in users.Where(u => u.Id is not null))
        {
            var manager = managers.GetValueOrDefault(user.Id!);
            if (!existing.TryGetValue(user.Id!, out var exec))
            {
                exec = new Executive
                {
                    Id = user.Id!, DisplayName = user.DisplayName ?? user.Id!, UserId = user.Id!, AadObjectId = user.Id,
                    MonthlyCapacity = o.DefaultMonthlyCapacity, Source = DirectorySource.Graph,
                };
                db.Executives.Add(exec);
                added++;
            }
            else updated++;
            exec.DisplayName = user.DisplayName ?? exec.DisplayName;
            exec.Email = user.Mail ?? user.UserPrincipalName;
            exec.ManagerAadObjectId = manager?.Id;
            exec.ManagerName = manager?.DisplayName;
            exec.BackupExecutiveId = manager?.Id is { } m && ids.Contains(m) ? m : exec.BackupExecutiveId;
            exec.Active = true;
            exec.UpdatedAt = now;
        }
        foreach (var gone in existing.Values.Where(e => e.Source == DirectorySource.Graph && !ids.Contains(e.Id) && e.Active))
        {
            gone.Active = false;
            gone.UpdatedAt = now;
            deactivated++;
        }
        await db.SaveChangesAsync(ct);
        LogSynced(users.Count, added, deactivated);
        return new GraphSyncResult(users.Count, added, updated, deactivated);
    }

    private GraphServiceClient CreateClient(GraphDirectoryOptions o)
    {
        var credential = new ClientSecretCredential(o.TenantId, o.ClientId, o.ClientSecret, new ClientSecretCredentialOptions
        {
            AuthorityHost = new Uri(o.AuthorityHost),
            Transport = new HttpClientTransport(http.CreateClient(IdentityClient)),
        });
        var baseUri = new Uri(o.BaseUrl);
        var auth = new AzureIdentityAuthenticationProvider(credential, [baseUri.Host], null, true, "https://graph.microsoft.com/.default");
        return new GraphServiceClient(http.CreateClient(GraphClient), auth, o.BaseUrl.TrimEnd('/'));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Graph directory sync: {Members} members, {Added} added, {Deactivated} deactivated")]
    private partial void LogSynced(int members, int added, int deactivated);
}

public sealed record GraphSyncResult(int Members, int Added, int Updated, int Deactivated);

/// <summary>Runs <see cref="GraphDirectorySync"/> at start-up and every <c>People:Directory:Graph:SyncInterval</c> when the source is Graph.</summary>
public sealed partial class GraphDirectorySyncService(IServiceScopeFactory scopes, IOptions<PeopleOptions> options, TimeProvider time,
    ILogger<GraphDirectorySyncService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Directory.Source != DirectorySource.Graph) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<GraphDirectorySync>().SyncAsync(stoppingToken);
            }
            catch (Exception ex) when (StoreErrors.IsUnavailable(ex))
            {
                LogStoreUnavailable(ex.GetType().Name, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(ex);
            }
            await Task.Delay(options.Value.Directory.Graph.SyncInterval, time, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Graph directory sync paused: the database is unavailable ({Error}: {Message}); it runs again at the next interval")]
    private partial void LogStoreUnavailable(string error, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Graph directory sync failed; the directory table keeps its last state")]
    private partial void LogFailed(Exception ex);
}
