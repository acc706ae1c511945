using System.CommandLine;
using System.Runtime.InteropServices;
using KvStore.ApiServer.Http;
using KvStore.ApiServer.Storage;
using KvStore.Host.Flags;
using Microsoft.Extensions.Logging;

namespace KvStore.Host;

/// <summary>
/// `kvstore apiserver --etcd-servers URL[,URL...] --listen-url URL [--event-ttl 1h] [--service-cluster-ip-range CIDR]`:
/// the apiserver facade alone, over gRPC to any etcd v3 endpoint list (kvstore members or real etcd), as
/// kube-apiserver runs against its etcd.
/// </summary>
internal static class ApiServerCommand
{
    public const string Name = "apiserver";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var etcdServers = new Option<string>("--etcd-servers") { Description = "List of etcd servers to connect with (scheme://ip:port), comma separated.", Required = true };
        var listenUrl = new Option<string>("--listen-url") { Description = "The http URL to serve the REST API on.", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var eventTtl = new Option<string>("--event-ttl") { Description = "Amount of time to retain events.", DefaultValueFactory = _ => "1h0m0s" };
        var serviceRange = new Option<string>("--service-cluster-ip-range") { Description = "A CIDR notation IP range from which to assign service cluster IPs.", DefaultValueFactory = _ => "10.96.0.0/12" };
        var compaction = new Option<string>("--etcd-compaction-interval") { Description = "The interval of compaction requests. If 0, the compaction request from apiserver is disabled.", DefaultValueFactory = _ => "5m0s" };
        var logLevel = new Option<string>("--log-level") { Description = "debug, info, warn, error, panic or fatal (as the member's --log-level).", DefaultValueFactory = _ => "info" };
        var command = new Command(Name, "The Kubernetes-style REST API (what kubectl talks to) over an etcd v3 endpoint list.")
        {
            etcdServers, listenUrl, eventTtl, serviceRange, compaction, logLevel,
        };
        // Under a root command, so that --help shows "kvstore apiserver [options]".
        var result = new RootCommand { command }.Parse([Name, .. args]);
        if (result.Action is not null && result.Errors.Count == 0)
        {
            return await result.InvokeAsync().ConfigureAwait(false); // --help
        }
        if (result.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"kvstore apiserver: {result.Errors[0].Message}").ConfigureAwait(false);
            return 2;
        }

        ApiServerOptions options;
        List<Uri> endpoints;
        LogLevel level;
        try
        {
            level = HostSettings.LogLevelOf(result.GetValue(logLevel)!);
            endpoints = result.GetValue(etcdServers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(e => Uri.TryCreate(e, UriKind.Absolute, out var u) && u.Scheme == "http" ? u : throw new FormatException($"--etcd-servers: invalid URL \"{e}\" (http://ip:port)"))
                .ToList();
            if (endpoints.Count == 0) throw new FormatException("--etcd-servers: at least one URL is required");
            if (!Uri.TryCreate(result.GetValue(listenUrl), UriKind.Absolute, out var listen) || listen.Scheme != "http")
            {
                throw new FormatException($"--listen-url: invalid http URL \"{result.GetValue(listenUrl)}\"");
            }
            ClusterIpRange.Parse(result.GetValue(serviceRange)!);
            options = new ApiServerOptions
            {
                ListenUrl = listen,
                EventTtl = Duration(result.GetValue(eventTtl)!, "--event-ttl"),
                ServiceClusterIpRange = result.GetValue(serviceRange)!,
                CompactionInterval = Duration(result.GetValue(compaction)!, "--etcd-compaction-interval"),
            };
        }
        catch (Exception e) when (e is FormatException or FlagException)
        {
            await Console.Error.WriteLineAsync($"kvstore apiserver: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        using var loggers = KvStoreHost.CreateLoggerFactory(level);
        var log = loggers.CreateLogger("kvstore-apiserver");
        using var stopping = new StopSignals();

        await using var kv = new GrpcKeyValue(endpoints);
        ApiServer.Http.ApiServer server;
        try
        {
            server = await ApiServer.Http.ApiServer.StartAsync(kv, options, loggers, stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            Log.ApiServerFailed(log, e);
            return 1;
        }
        await using (server.ConfigureAwait(false))
        {
            Log.ServingApiServer(log, server.Url.GetLeftPart(UriPartial.Authority));
            await Task.Delay(Timeout.Infinite, stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Log.ApiServerStopping(log);
        }
        return 0;
    }

    private static TimeSpan Duration(string text, string flag) =>
        FlagText.TryParseDuration(text, out var value) ? value : throw new FormatException($"{flag}: invalid duration \"{text}\"");
}
