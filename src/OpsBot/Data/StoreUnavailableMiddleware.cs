using System.Globalization;

namespace OpsBot.Data;

/// <summary>
/// The one place where an unavailable store becomes an HTTP answer: 503 problem+json with <c>Retry-After</c> for any request
/// whose database work failed for a transient reason after the execution strategy's retries (<see cref="StoreErrors.IsUnavailable"/>).
/// </summary>
public sealed partial class StoreUnavailableMiddleware(RequestDelegate next, ILogger<StoreUnavailableMiddleware> log)
{
    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http);
        }
        catch (Exception ex) when (StoreErrors.IsUnavailable(ex) && !http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            LogUnavailable(http.Request.Method, http.Request.Path, ex.GetType().Name, ex.Message);
            http.Response.Clear();
            http.Response.Headers.RetryAfter = ((int)StoreErrors.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            await Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Database unavailable",
                detail: "OpsBot's database is not answering right now (restart or failover). The request was not completed; send it again after Retry-After.")
                .ExecuteAsync(http);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503: the database is unavailable ({Error}: {Message})")]
    private partial void LogUnavailable(string method, string path, string error, string message);
}
