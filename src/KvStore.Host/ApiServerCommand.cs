using System.CommandLine;
using KvStore.ApiServer.Security;
using KvStore.ApiServer.Storage;
using KvStore.Host.Flags;
using Microsoft.Extensions.Logging;

namespace KvStore.Host;

/// <summary>
/// `kvstore apiserver --etcd-servers URL[,URL...] [--etcd-cafile F --etcd-certfile F --etcd-keyfile F] ...`: the
/// apiserver facade alone, over gRPC to any etcd v3 endpoint list (kvstore members or real etcd, plain or TLS), serving
/// HTTPS as kube-apiserver does (flags: <see cref="ApiServerFlags"/>).
/// </summary>
internal static class ApiServerCommand
{
    public const string Name = "apiserver";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var flags = new ApiServerFlags();
        // Under a root command, so that --help shows "kvstore apiserver [options]".
        var result = new RootCommand { flags.Command() }.Parse([Name, .. args]);
        if (result.Action is not null && result.Errors.Count == 0)
        {
            return await result.InvokeAsync().ConfigureAwait(false); // --help
        }
        if (result.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"kvstore apiserver: {result.Errors[0].Message}").ConfigureAwait(false);
            return 2;
        }

        ApiServerFlags.Values values;
        try
        {
            values = flags.Read(result);
        }
        catch (Exception e) when (e is FormatException or FlagException)
        {
            await Console.Error.WriteLineAsync($"kvstore apiserver: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        using var loggers = KvStoreHost.CreateLoggerFactory(values.Level);
        var log = loggers.CreateLogger("kvstore-apiserver");
        using var stopping = new StopSignals();

        ApiServer.Http.ApiServer server;
        EtcdClientTls? etcdTls = null;
        GrpcKeyValue? kv = null;
        try
        {
            etcdTls = EtcdClientTls.FromFiles(values.EtcdCaFile, values.EtcdCertFile, values.EtcdKeyFile);
            kv = new GrpcKeyValue(values.Endpoints, etcdTls);
            server = await ApiServer.Http.ApiServer.StartAsync(kv, values.Options, loggers, stopping.Token).ConfigureAwait(false);
        }
        catch (ApiServerConfigException e)
        {
            await Console.Error.WriteLineAsync($"kvstore apiserver: {e.Message}").ConfigureAwait(false);
            await DisposeAsync(kv, etcdTls).ConfigureAwait(false);
            return 1;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            Log.ApiServerFailed(log, e);
            await DisposeAsync(kv, etcdTls).ConfigureAwait(false);
            return 1;
        }
        await using (server.ConfigureAwait(false))
        {
            Log.ServingApiServer(log, server.Url.GetLeftPart(UriPartial.Authority));
            await Task.Delay(Timeout.Infinite, stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Log.ApiServerStopping(log);
        }
        await DisposeAsync(kv, etcdTls).ConfigureAwait(false);
        return 0;
    }

    private static async Task DisposeAsync(GrpcKeyValue? kv, EtcdClientTls? tls)
    {
        if (kv is not null) await kv.DisposeAsync().ConfigureAwait(false);
        tls?.Dispose();
    }
}
