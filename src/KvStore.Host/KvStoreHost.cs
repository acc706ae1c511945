using System.Runtime.InteropServices;
using KvStore.Grpc;
using KvStore.Host.Flags;
using KvStore.Host.Http;
using KvStore.Host.Kestrel;
using KvStore.Host.Metrics;
using KvStore.Host.Startup;
using KvStore.Server;
using KvStore.Server.DataDir;
using KvStore.Server.EtcdDataDir;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KvStore.Host;

/// <summary>
/// Runs one member: prepares its data dir (checked, created, locked, an etcd data dir imported) and checks its
/// ports, starts the <see cref="EtcdServer"/> (WAL recovery), then Kestrel on the client and metrics URLs, logs
/// "ready to serve client requests", and on SIGTERM/SIGINT stops Kestrel and disposes the member (which checkpoints).
/// </summary>
internal static class KvStoreHost
{
    public static async Task<int> RunAsync(HostSettings settings, IReadOnlyList<StartupNote> notes)
    {
        ILoggerFactory created;
        try
        {
            created = CreateLoggerFactory(settings.Log);
        }
        catch (FlagException e)
        {
            await Console.Error.WriteLineAsync($"kvstore: error verifying flags, {e.Message}. See 'kvstore --help'.").ConfigureAwait(false);
            return 1;
        }
        using var loggers = created;
        var log = loggers.CreateLogger("kvstore");
        foreach (var note in notes)
        {
            Log.Note(log, note.Level, note.Message);
        }

        foreach (var warning in settings.Warnings)
        {
            Log.Note(log, warning.Level, warning.Message);
        }

        using var stopping = new StopSignals();

        Log.Starting(log, settings.Server.Name, settings.Server.DataDir, EtcdVersion.Server);
        List<DataDirLock> locks = [];
        try
        {
            (int? exitCode, settings) = await PrepareAsync(settings, log, locks, stopping.Token).ConfigureAwait(false);
            if (exitCode is { } code) return code;
            return await RunMemberAsync(settings, loggers, log, stopping).ConfigureAwait(false);
        }
        finally
        {
            foreach (DataDirLock held in locks) held.Dispose();
        }
    }

    /// <summary>
    /// etcd's order, with the lock first: the data dir (and --wal-dir) is checked, created and locked before anything
    /// opens a file in it or binds a port; an etcd data dir is imported; the TLS settings are resolved (--auto-tls
    /// writes its certificates under the data dir); the ports are checked. Returns the settings with TLS resolved and
    /// a null exit code to go on, else the exit code (the failure logged in one line). The locks taken are added to
    /// <paramref name="locks"/>.
    /// </summary>
    private static async Task<(int? ExitCode, HostSettings Settings)> PrepareAsync(HostSettings settings, ILogger log, List<DataDirLock> locks,
        CancellationToken cancellationToken)
    {
        try
        {
            foreach (string dir in LockedDirs(settings.Server))
            {
                if (DataDirCheck.Prepare(dir) is { } dirError) return (Failed(log, dirError), settings);
                string lockPath = Path.Combine(dir, DataDirLock.FileName);
                locks.Add(await DataDirLock.AcquireAsync(lockPath, TimeSpan.FromSeconds(10), () => Log.FileLockHeld(log, lockPath), cancellationToken)
                    .ConfigureAwait(false));
            }
            if (EtcdDataDirImport.IsPending(settings.Server.DataDir))
            {
                // bbolt's own flock: a live etcd on this data dir keeps the import waiting, as it keeps a second etcd.
                string backend = EtcdDataDirImport.BackendPath(settings.Server.DataDir);
                using DataDirLock? etcdLock = File.Exists(backend)
                    ? await DataDirLock.AcquireAsync(backend, TimeSpan.FromSeconds(10), () => Log.FileLockHeld(log, backend), cancellationToken,
                        shared: true).ConfigureAwait(false)
                    : null;
                Log.ImportingEtcdDataDir(log, settings.Server.DataDir);
                if (await EtcdDataDirImport.ImportAsync(settings.Server).ConfigureAwait(false) is { } imported)
                {
                    Log.ImportedEtcdDataDir(log, imported);
                }
            }
            try
            {
                settings = settings.WithTlsResolved();
            }
            catch (KvStore.Server.Transport.TlsConfigException e)
            {
                Log.TlsFailed(log, e.Message);
                return (1, settings);
            }
            return (ListenProbe.FirstUnbindable(ListenUrls(settings)) is { } bindError ? Failed(log, bindError) : null, settings);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.Stopped(log);
            return (0, settings);
        }
        catch (IOException e)
        {
            return (Failed(log, e.Message, e), settings);
        }
    }

    /// <summary>The data dir, and the dedicated --wal-dir when there is one: each is created when missing and locked.</summary>
    private static IEnumerable<string> LockedDirs(ServerConfig config) =>
        config.WalDir is { Length: > 0 } walDir ? [config.DataDir, walDir] : [config.DataDir];

    /// <summary>Every URL this process listens on, in the order etcd binds them.</summary>
    private static IEnumerable<Uri> ListenUrls(HostSettings settings) =>
        [.. settings.Server.ListenPeerUrls, .. settings.Server.ListenClientUrls, .. settings.ListenMetricsUrls,
         .. settings.ApiServer is { } api ? [api.ListenUrl] : Array.Empty<Uri>()];

    /// <summary>Logs a start failure in one line (the exception only at --log-level debug) and gives the exit code.</summary>
    private static int Failed(ILogger log, string error, Exception? exception = null)
    {
        Log.StartFailed(log, error);
        if (exception is not null) Log.StartFailedDetail(log, exception);
        return 1;
    }

    private static async Task<int> RunMemberAsync(HostSettings settings, ILoggerFactory loggers, ILogger log, StopSignals stopping)
    {
        if (Failpoints.FromEnvironment(Environment.GetEnvironmentVariables()) is { } failpoints)
        {
            Log.FailpointsOn(log, Failpoints.EnvironmentVariable, string.Join(", ", Failpoints.Names));
            settings = settings with { Server = settings.Server with { Failpoints = failpoints } };
        }
        EtcdServer server;
        try
        {
            server = await EtcdServer.StartAsync(settings.Server, loggers, stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.Token.IsCancellationRequested)
        {
            Log.Stopped(log);
            return 0;
        }
        catch (Exception e)
        {
            return Failed(log, StartupFailure.Describe(e, settings), e);
        }
        // Opening the data dir rebuilt the key index and read the Raft log, and most of what that allocated is garbage
        // now. One compacting collection that gives the freed memory back to the system keeps a restarted member's RSS
        // near what it was before the restart (1M keys: 482-516 MB instead of 830-840 MB, for about 0.3 s of the restart).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

        var http2Socket = KestrelEndpoints.Http2SocketPath(settings.Server.DataDir);
        try
        {
            await using var app = Build(settings, server, loggers, http2Socket);
            using var applicationStopping = app.Lifetime.ApplicationStopping.Register(stopping.Cancel);
            using var removed = server.Removed.Register(stopping.Cancel); // etcd stops a member removed from the cluster
            try
            {
                await app.StartAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.Token.IsCancellationRequested)
            {
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                return Failed(log, StartupFailure.Describe(e, settings), e);
            }

            foreach (var url in settings.Server.ListenClientUrls)
            {
                if (TlsSettings.IsSecure(url)) Log.ServingSecurely(log, url.Authority);
                else Log.ServingInsecurely(log, url.Authority);
            }
            foreach (var url in settings.ListenMetricsUrls)
            {
                Log.ServingMetrics(log, url.Authority);
            }
            Log.Ready(log);

            // Disposed below, before the web host stops (not with `await using`: that disposed it a second time).
            var apiServer = await StartApiServerAsync(settings, app.Services, loggers, log, stopping.Token).ConfigureAwait(false);
            if (settings.ApiServer is not null && apiServer is null)
            {
                return 1;
            }

            await Task.Delay(Timeout.Infinite, stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Log.Stopping(log);
            if (apiServer is not null)
            {
                await apiServer.DisposeAsync().ConfigureAwait(false);
            }
            using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await app.StopAsync(stopTimeout.Token).ConfigureAwait(false);
            return 0;
        }
        finally
        {
            await server.DisposeAsync().ConfigureAwait(false);
            File.Delete(http2Socket);
            Log.Stopped(log);
        }
    }

    /// <summary>--apiserver-listen-url: the facade over this member's own services, called in-process through the gRPC
    /// interceptors (a certificate or token file it cannot use stops the member with kube-apiserver's message).</summary>
    private static async Task<ApiServer.Http.ApiServer?> StartApiServerAsync(HostSettings settings, IServiceProvider services, ILoggerFactory loggers,
        ILogger log, CancellationToken cancellationToken)
    {
        if (settings.ApiServer is not { } options)
        {
            return null;
        }
        var invoker = new Grpc.Embedded.InProcessCallInvoker(services.GetRequiredService<EtcdCallHandlers>());
        try
        {
            var apiServer = await ApiServer.Http.ApiServer.StartAsync(new ApiServer.Storage.CallInvokerKeyValue(invoker), options, loggers,
                    cancellationToken)
                .ConfigureAwait(false);
            Log.ServingApiServer(log, apiServer.Url.GetLeftPart(UriPartial.Authority));
            return apiServer;
        }
        catch (ApiServer.Security.ApiServerConfigException e)
        {
            Log.ApiServerConfigFailed(log, e.Message);
            return null;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            Log.ApiServerFailed(log, e);
            return null;
        }
    }

    private static WebApplication Build(HostSettings settings, EtcdServer server, ILoggerFactory loggers, string http2Socket)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);

        builder.Services.AddSingleton<IEtcdServer>(server);
        builder.Services.AddSingleton<EtcdMetrics>();
        builder.Services.AddSingleton<GrpcMetricsInterceptor>();
        // The metrics interceptor first: it counts every call, also those the services' own interceptors refuse.
        builder.Services.AddGrpc(grpc => grpc.Interceptors.Add<GrpcMetricsInterceptor>());
        builder.Services.AddKvStoreGrpc();

        builder.WebHost.UseSetting(WebHostDefaults.PreferHostingUrlsKey, "false");
        builder.WebHost.ConfigureKestrel(kestrel => KestrelEndpoints.Configure(kestrel, settings, http2Socket));

        var app = builder.Build();
        app.MapEtcdHttpEndpoints();
        if (settings.Server.Failpoints is { } failpoints) app.MapFailpoints(failpoints);
        app.MapKvStoreGrpc();
        app.MapKvStoreGateway();
        return app;
    }

    /// <summary>
    /// etcd's logs (<see cref="Logging.LogSettings"/>: capnslog text or zap JSON, one event a line, to stderr, stdout
    /// or files); ASP.NET Core's own messages only from warnings on, unless --log-level debug.
    /// </summary>
    internal static ILoggerFactory CreateLoggerFactory(Logging.LogSettings settings)
    {
        ILoggerFactory lines = CreateLineLoggerFactory(settings);
        // DotNext repeats some events on every retry while a peer is down: one of each kind per 10 s (debug: all).
        if (settings.Level <= LogLevel.Debug) return lines;
        var limited = LoggerFactory.Create(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddProvider(new Logging.RepeatLimitingLoggerProvider(lines, "DotNext.", TimeSpan.FromSeconds(10)));
        });
        return new Logging.OwningLoggerFactory(limited, lines);
    }

    /// <summary>Logs at <paramref name="level"/> to stderr, in text on a terminal and JSON otherwise.</summary>
    internal static ILoggerFactory CreateLoggerFactory(LogLevel level) => CreateLoggerFactory(Logging.LogSettings.ForLevel(level));

    private static ILoggerFactory CreateLineLoggerFactory(Logging.LogSettings settings) => LoggerFactory.Create(logging =>
    {
        LogLevel level = settings.Level;
        logging.SetMinimumLevel(level);
        var frameworkLevel = level <= LogLevel.Debug ? level : (LogLevel)Math.Max((int)level, (int)LogLevel.Warning);
        logging.AddFilter("Microsoft", frameworkLevel);
        logging.AddFilter("Grpc", frameworkLevel);
        // ASP.NET Core's per-request log (request starting/finished, Information) is all this category writes, and
        // while any of its levels is on, hosting starts an Activity and a log scope for every request (~3% of a
        // serializable range's server CPU). Off unless --log-level debug.
        if (level > LogLevel.Debug) logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        logging.AddProvider(new Logging.EtcdLoggerProvider(settings));
    });
}

/// <summary>
/// SIGTERM and SIGINT cancel <see cref="Token"/> (shared by the member and `kvstore apiserver`) instead of ending the process, so the
/// caller stops cleanly.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly PosixSignalRegistration _sigterm;
    private readonly PosixSignalRegistration _sigint;

    public StopSignals()
    {
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
    }

    public CancellationToken Token => _stopping.Token;

    /// <summary>Stops as a signal would (the web host stopping, the member removed from its cluster).</summary>
    public void Cancel() => _stopping.Cancel();

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _stopping.Cancel();
    }

    public void Dispose()
    {
        _sigterm.Dispose();
        _sigint.Dispose();
        _stopping.Dispose();
    }
}
