using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using KvStore.Grpc;
using KvStore.Host.Flags;
using KvStore.Host.Http;
using KvStore.Host.Kestrel;
using KvStore.Host.Metrics;
using KvStore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace KvStore.Host;

/// <summary>
/// Runs one member: starts the <see cref="EtcdServer"/> (WAL recovery), then Kestrel on the client and metrics
/// URLs, logs "ready to serve client requests", and on SIGTERM/SIGINT stops Kestrel and disposes the member
/// (which checkpoints).
/// </summary>
internal static class KvStoreHost
{
    public static async Task<int> RunAsync(HostSettings settings, IReadOnlyList<StartupNote> notes)
    {
        using var loggers = CreateLoggerFactory(settings.LogLevel);
        var log = loggers.CreateLogger("kvstore");
        foreach (var note in notes)
        {
            Log.Note(log, note.Level, note.Message);
        }

        foreach (var warning in settings.Warnings)
        {
            Log.Note(log, warning.Level, warning.Message);
        }
        try
        {
            settings = settings.WithTlsResolved();
        }
        catch (KvStore.Server.Transport.TlsConfigException e)
        {
            Log.TlsFailed(log, e.Message);
            return 1;
        }

        using var stopping = new StopSignals();

        Log.Starting(log, settings.Server.Name, settings.Server.DataDir, EtcdVersion.Server);
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
            Log.StartFailed(log, e);
            return 1;
        }

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
                Log.ListenFailed(log, e);
                return 1;
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
            var apiServer = await StartApiServerAsync(settings, server, loggers, log, stopping.Token).ConfigureAwait(false);
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

    /// <summary>--apiserver-listen-url: the facade over this member's own KV, Watch and Lease services, called in-process
    /// (a certificate or token file it cannot use stops the member with kube-apiserver's message).</summary>
    private static async Task<ApiServer.Http.ApiServer?> StartApiServerAsync(HostSettings settings, EtcdServer server, ILoggerFactory loggers,
        ILogger log, CancellationToken cancellationToken)
    {
        if (settings.ApiServer is not { } options)
        {
            return null;
        }
        var invoker = new Grpc.Embedded.InProcessCallInvoker(binder =>
        {
            Etcdserverpb.KV.BindService(binder, new KvService(server));
            Etcdserverpb.Watch.BindService(binder, new WatchService(server, loggers.CreateLogger<WatchService>()));
            Etcdserverpb.Lease.BindService(binder, new LeaseService(server, new LeaseIdGenerator(server)));
        });
        try
        {
            var apiServer = await ApiServer.Http.ApiServer.StartAsync(new ApiServer.Storage.CallInvokerKeyValue(invoker), options, loggers, cancellationToken)
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
        app.MapKvStoreGrpc();
        app.MapKvStoreGateway();
        return app;
    }

    /// <summary>
    /// Structured logs (one JSON object a line) on stderr, as etcd's zap logger writes them; ASP.NET Core's own
    /// messages only from warnings on, unless --log-level debug.
    /// </summary>
    internal static ILoggerFactory CreateLoggerFactory(LogLevel level)
    {
        ILoggerFactory console = CreateConsoleLoggerFactory(level);
        // DotNext repeats some events on every retry while a peer is down: one of each kind per 10 s (debug: all).
        if (level <= LogLevel.Debug) return console;
        var limited = LoggerFactory.Create(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddProvider(new Logging.RepeatLimitingLoggerProvider(console, "DotNext.", TimeSpan.FromSeconds(10)));
        });
        return new Logging.OwningLoggerFactory(limited, console);
    }

    private static ILoggerFactory CreateConsoleLoggerFactory(LogLevel level) => LoggerFactory.Create(logging =>
    {
        logging.SetMinimumLevel(level);
        var frameworkLevel = level <= LogLevel.Debug ? level : (LogLevel)Math.Max((int)level, (int)LogLevel.Warning);
        logging.AddFilter("Microsoft", frameworkLevel);
        logging.AddFilter("Grpc", frameworkLevel);
        // ASP.NET Core's per-request log (request starting/finished, Information) is all this category writes, and
        // while any of its levels is on, hosting starts an Activity and a log scope for every request (~3% of a
        // serializable range's server CPU). Off unless --log-level debug.
        if (level > LogLevel.Debug) logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.AddJsonConsole(json =>
        {
            json.UseUtcTimestamp = true;
            json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            json.IncludeScopes = false;
            json.JsonWriterOptions = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        });
    });
}

/// <summary>SIGTERM and SIGINT cancel <see cref="Token"/> (shared by the member and `kvstore apiserver`) instead of ending the process, so the caller stops cleanly.</summary>
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
