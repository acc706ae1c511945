using System.Text.Json.Nodes;
using KvStore.ApiServer.CustomResources;
using KvStore.ApiServer.Resources;
using KvStore.ApiServer.Security;
using KvStore.ApiServer.Storage;
using KvStore.ApiServer.Storage.Cache;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KvStore.ApiServer.Http;

/// <summary>
/// The apiserver facade on its own Kestrel listener, over any <see cref="IKeyValue"/>: creates the cluster's
/// standing objects (namespaces default/kube-system/kube-public/kube-node-lease, the `kubernetes` service) and serves
/// the stored CustomResourceDefinitions' resources, then is ready; over HTTPS with client authentication when the
/// options ask for it (<see cref="ApiServerSecurity"/>). Dispose to stop (the key-value port stays the caller's).
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _bootstrap;
    private readonly Compactor? _compactor;
    private readonly ApiServerSecurity _security;
    private readonly CrdController _crds;
    private readonly WatchCaches _caches;
    private readonly Controllers.NamespaceController _namespaces;
    private readonly Controllers.GarbageCollector _collector;

    private ApiServer(WebApplication app, Uri url, Compactor? compactor, ApiServerSecurity security, CrdController crds, WatchCaches caches,
        Controllers.NamespaceController namespaces, Controllers.GarbageCollector collector, Func<CancellationToken, Task> bootstrap)
    {
        (_app, Url, _compactor, _security, _crds, _caches, _namespaces, _collector) = (app, url, compactor, security, crds, caches, namespaces,
            collector);
        _bootstrap = bootstrap(_stopping.Token);
    }

    /// <summary>Completes once the standing objects exist (readyz says ok from then on).</summary>
    public Task Bootstrapped => _bootstrap;

    /// <summary>The bound URL (the real port when the options asked for port 0).</summary>
    public Uri Url { get; }

    public static async Task<ApiServer> StartAsync(IKeyValue kv, ApiServerOptions options, ILoggerFactory? loggers = null,
        CancellationToken cancellationToken = default)
    {
        var log = (loggers ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("apiserver");
        var security = ApiServerSecurity.Load(options, log);
        var store = new ObjectStore(kv);
        var served = new ServedResources();
        var caches = new WatchCaches(kv, TimeProvider.System, loggers);
        served.Removed += gone =>
        {
            foreach (var resource in gone) caches.Stop(resource.KeyPrefix, resource.ApiVersion);
        };
        var handler = new ResourceHandler(store, served, caches, options, TimeProvider.System);
        var crds = new CrdController(handler, TimeProvider.System, log);
        // kube-controller-manager's namespace controller and garbage collector run here, fed by the watch caches
        var namespaceController = new Controllers.NamespaceController(handler, loggers?.CreateLogger<Controllers.NamespaceController>());
        var collector = new Controllers.GarbageCollector(handler, loggers?.CreateLogger<Controllers.GarbageCollector>());

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (loggers is not null) builder.Services.AddSingleton(loggers);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.WebHost.UseSetting(WebHostDefaults.PreferHostingUrlsKey, "false");
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = 3 * 1024 * 1024; // kube's 3 MiB request limit
            k.Listen(ApiServerSecurity.BindAddress(options.ListenUrl), options.ListenUrl.Port, security.Configure);
        });
        var app = builder.Build();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var endpoints = new ApiServerEndpoints(handler, served, ready.Task);
        app.Run(new AuthenticationFilter(security.Authenticator, endpoints.HandleAsync, TimeProvider.System, log).InvokeAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            security.Dispose();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        // kube-apiserver's periodic compaction (CAS on compact_rev_key, so several apiservers on one store compact once).
        var compactor = options.CompactionInterval > TimeSpan.Zero
            ? Compactor.Start(kv, options.CompactionInterval, loggers?.CreateLogger<Compactor>())
            : null;
        return new ApiServer(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)), compactor, security, crds, caches,
            namespaceController, collector, async stopping =>
        {
            // As kube-apiserver's bootstrap controllers: retried until the store answers (a cluster may still be electing).
            while (true)
            {
                try
                {
                    await BootstrapAsync(handler, options, stopping).ConfigureAwait(false);
                    await crds.StartAsync(stopping).ConfigureAwait(false);
                    // kube-apiserver starts a watch cache per resource (the stored CRDs' too); ready once each has its first list
                    foreach (var resource in served.All) await handler.CacheFor(resource).WaitReadyAsync(stopping).ConfigureAwait(false);
                    namespaceController.Start();
                    collector.Start();
                    ready.TrySetResult();
                    Log.Bootstrapped(log);
                    return;
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is StoreException or ApiError or Grpc.Core.RpcException or IOException)
                {
                    Log.BootstrapRetry(log, e.Message, e);
                    await Task.Delay(TimeSpan.FromSeconds(1), stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    if (stopping.IsCancellationRequested) return;
                }
            }
        });
    }

    /// <summary>What kube-apiserver's bootstrap controllers create: the system namespaces and the `kubernetes` service on the
    /// first address of the service range. Existing ones are left as they are.</summary>
    private static async Task BootstrapAsync(ResourceHandler handler, ApiServerOptions options, CancellationToken cancellationToken)
    {
        var namespaces = ResourceCatalog.Find("", "v1", "namespaces")!;
        foreach (var name in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            await CreateIfAbsentAsync(namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } }).ConfigureAwait(false);
        }
        var ip = ClusterIpRange.Parse(options.ServiceClusterIpRange).At(0);
        var service = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "kubernetes",
                ["labels"] = new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" },
            },
            ["spec"] = new JsonObject
            {
                ["type"] = "ClusterIP",
                ["clusterIP"] = ip,
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = 6443 }),
                ["sessionAffinity"] = "None",
            },
        };
        await CreateIfAbsentAsync(ResourceCatalog.Find("", "v1", "services")!, "default", service).ConfigureAwait(false);

        async Task CreateIfAbsentAsync(ResourceInfo resource, string? ns, JsonObject obj)
        {
            var name = obj["metadata"]!["name"]!.GetValue<string>();
            if (await handler.Store.GetAsync(RequestTarget.KeyOf(resource, ns, name), null,
                cancellationToken).ConfigureAwait(false) is not null) return;
            try
            {
                await handler.CreateObjectAsync(resource, ns, obj, dryRun: false, cancellationToken).ConfigureAwait(false);
            }
            catch (ApiError e) when (e.Reason is "AlreadyExists" || e.Code == 422)
            {
                // another apiserver on the same store made it first (422: its create took the address), else a real failure
                if (await handler.Store.GetAsync(RequestTarget.KeyOf(resource, ns, name), null,
                    cancellationToken).ConfigureAwait(false) is null) throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _bootstrap.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
        await _crds.DisposeAsync().ConfigureAwait(false);
        if (_compactor is not null) await _compactor.DisposeAsync().ConfigureAwait(false);
        await _namespaces.DisposeAsync().ConfigureAwait(false);
        await _collector.DisposeAsync().ConfigureAwait(false);
        await _caches.DisposeAsync().ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _security.Dispose();
        }
    }
}
