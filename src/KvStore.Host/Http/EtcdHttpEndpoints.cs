using System.Text.Json;
using System.Text.Json.Serialization;
using Etcdserverpb;
using Google.Protobuf;
using KvStore.Grpc;
using KvStore.Host.Metrics;
using KvStore.Mvcc;
using KvStore.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace KvStore.Host.Http;

/// <summary>
/// The HTTP/1.1 endpoints etcd serves on its client URLs and --listen-metrics-urls (etcdhttp): /health
/// (etcd 3.5's JSON with a reason), /version and /metrics (Prometheus text).
/// </summary>
internal static class EtcdHttpEndpoints
{
    private const string TextPlain = "text/plain; charset=utf-8";

    /// <summary>A key no one asks for: the health check's read touches the engine without returning data.</summary>
    private static readonly ByteString HealthProbeKey = ByteString.CopyFrom(0);

    public static IEndpointRouteBuilder MapEtcdHttpEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.Map("/health", HealthAsync);
        endpoints.Map("/version", Version);
        endpoints.MapMetrics("/metrics", endpoints.ServiceProvider.GetRequiredService<EtcdMetrics>().Registry);
        return endpoints;
    }

    /// <summary>
    /// etcd 3.5's /health: false with "ALARM NOSPACE"/"ALARM CORRUPT" while an alarm is raised (unless
    /// ?exclude=NAME), "RAFT NO LEADER" without a leader, "RANGE ERROR:..." when a read fails; a linearizable
    /// read unless ?serializable=true. 200 when healthy, 503 otherwise.
    /// </summary>
    private static async Task HealthAsync(HttpContext context, IEtcdServer server, ILoggerFactory loggers)
    {
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            await MethodNotAllowedAsync(context).ConfigureAwait(false);
            return;
        }
        var excluded = context.Request.Query["exclude"].Where(s => !string.IsNullOrEmpty(s)).ToHashSet(StringComparer.Ordinal);
        var serializable = context.Request.Query["serializable"] == "true";
        var health = await CheckAsync(server, excluded!, serializable, context.RequestAborted).ConfigureAwait(false);
        var body = JsonSerializer.Serialize(health, HttpJson.Default.HealthStatus);
        if (health.Status != "true")
        {
            Log.HealthFalse(loggers.CreateLogger("kvstore.http"), health.Reason);
            // Go's http.Error: plain text, nosniff, a trailing newline.
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.ContentType = TextPlain;
            context.Response.Headers["X-Content-Type-Options"] = "nosniff";
            await context.Response.WriteAsync(body + "\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        context.Response.ContentType = TextPlain;
        await context.Response.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    internal static async Task<HealthStatus> CheckAsync(IEtcdServer server, IReadOnlySet<string> excludedAlarms, bool serializable,
        CancellationToken cancellationToken)
    {
        foreach (var alarm in server.Alarms)
        {
            var name = alarm.Alarm.ToString().ToUpperInvariant();
            if (excludedAlarms.Contains(name))
            {
                continue;
            }
            return new("false", alarm.Alarm switch
            {
                AlarmType.Nospace => "ALARM NOSPACE",
                AlarmType.Corrupt => "ALARM CORRUPT",
                _ => "ALARM UNKNOWN",
            });
        }
        if (!serializable && server.LeaderId == 0)
        {
            return new("false", "RAFT NO LEADER");
        }
        if (!serializable)
        {
            // etcd bounds the read by its request timeout: 5 s plus two election timeouts.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5) + 2 * TimeSpan.FromMilliseconds(server.Config.ElectionTimeoutMs));
            ServerError error;
            try
            {
                error = await server.ReadIndexAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                error = ServerError.Timeout;
            }
            if (error != ServerError.None)
            {
                return new("false", "RANGE ERROR:" + ErrorTable.Status(error).Message);
            }
        }
        try
        {
            // Served locally: the read index above is the linearizable part.
            var probe = new RangeRequest { Key = HealthProbeKey, KeysOnly = true, Limit = 1, Serializable = true };
            await server.RangeAsync(probe, Caller.Nobody, cancellationToken).ConfigureAwait(false);
        }
        catch (EtcdServerException e) when (e.MvccError is not (MvccError.AuthUserEmpty or MvccError.AuthPermissionDenied))
        {
            // etcd's checkV3Health: a range refused for want of a user is healthy; any other error is not.
            return new("false", "RANGE ERROR:" + ErrorTable.Status(e.MvccError).Message);
        }
        catch (EtcdServerException)
        {
        }
        return new("true", "");
    }

    /// <summary>/version: {"etcdserver":"3.5.16","etcdcluster":"3.5.0"}.</summary>
    private static async Task Version(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            await MethodNotAllowedAsync(context).ConfigureAwait(false);
            return;
        }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(
            JsonSerializer.Serialize(new VersionInfo(EtcdVersion.Server, EtcdVersion.Cluster), HttpJson.Default.VersionInfo),
            context.RequestAborted).ConfigureAwait(false);
    }

    private static Task MethodNotAllowedAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        context.Response.Headers.Allow = "GET";
        context.Response.ContentType = TextPlain;
        return context.Response.WriteAsync("Method Not Allowed\n", context.RequestAborted);
    }
}

/// <summary>etcd's etcdhttp.Health.</summary>
internal sealed record HealthStatus(
    [property: JsonPropertyName("health")] string Status,
    [property: JsonPropertyName("reason")] string Reason);

/// <summary>etcd's version.Versions.</summary>
internal sealed record VersionInfo(
    [property: JsonPropertyName("etcdserver")] string Server,
    [property: JsonPropertyName("etcdcluster")] string Cluster);

[JsonSerializable(typeof(HealthStatus))]
[JsonSerializable(typeof(VersionInfo))]
internal sealed partial class HttpJson : JsonSerializerContext;
