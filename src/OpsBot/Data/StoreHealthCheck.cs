using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OpsBot.Data;

/// <summary>
/// <c>/readyz</c>: one <c>SELECT 1</c> outside the execution strategy, so that an unavailable store answers 503 within
/// <see cref="Timeout"/> instead of after the strategy's retries. A second try covers a pooled connection the server dropped
/// (a restart breaks every idle one), so readiness returns on the first probe after the store is back.
/// </summary>
public sealed class StoreHealthCheck(IServiceScopeFactory scopes) : IHealthCheck
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        Exception? failure = null;
        for (var attempt = 0; attempt < 2 && !timeout.IsCancellationRequested; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var connection = scope.ServiceProvider.GetRequiredService<OpsBotDbContext>().Database.GetDbConnection();
                await connection.OpenAsync(timeout.Token);
                try
                {
                    await using var cmd = connection.CreateCommand();
                    cmd.CommandText = "SELECT 1";
                    await cmd.ExecuteScalarAsync(timeout.Token);
                    return HealthCheckResult.Healthy();
                }
                finally
                {
                    await connection.CloseAsync();
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                failure = ex;
            }
        }
        return HealthCheckResult.Unhealthy("The database does not answer.", failure);
    }
}
