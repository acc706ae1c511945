using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KvStore.Server.Transport;

/// <summary>
/// The member's peer port (etcd's peer listener, where etcd serves rafthttp and gRPC through cmux): Kestrel on
/// every --listen-peer-urls URL, with the peer TLS info on https URLs (etcd's ServerConfig plus its peer listener's
/// SAN and CRL checks). After the handshake a connection that opens with HTTP/2 (its first byte is the preface's
/// 'P') is gRPC for <see cref="PeerService"/>; any other is DotNext's Raft protocol (its first byte is a message
/// type, 0-9) and goes to <see cref="RaftConnections"/>. A process without a peer certificate the members accept
/// reaches neither.
/// </summary>
internal sealed class PeerServer : IAsyncDisposable
{
    private static readonly List<SslApplicationProtocol> Http2Alpn = [SslApplicationProtocol.Http2];

    private readonly WebApplication _app;

    private PeerServer(WebApplication app) => _app = app;

    public static async Task<PeerServer> StartAsync(ServerConfig config, PeerHandlers handlers, RaftConnections raft, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(handlers);
        // A follower's batch of proposals may hold many requests of up to --max-request-bytes each.
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = null;
            o.MaxSendMessageSize = null;
        });
        builder.WebHost.UseSetting(WebHostDefaults.PreferHostingUrlsKey, "false");
        builder.WebHost.UseSetting(WebHostDefaults.SuppressStatusMessagesKey, "true");
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (Uri url in config.ListenPeerUrls) Listen(kestrel, url, config.PeerTls, raft);
        });
        WebApplication app = builder.Build();
        app.MapGrpcService<PeerService>();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new PeerServer(app);
    }

    private static void Listen(KestrelServerOptions kestrel, Uri url, TlsInfo tls, RaftConnections raft)
    {
        void Configure(ListenOptions listen)
        {
            listen.Protocols = HttpProtocols.Http2;
            if (url.Scheme == "https")
            {
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = context =>
                        ValueTask.FromResult(tls.ServerOptions(context.Connection.RemoteEndPoint, Http2Alpn, checkClientSan: true)),
                    HandshakeTimeout = TimeSpan.FromSeconds(10),
                });
            }
            listen.Use(next => async connection =>
            {
                if (await OpensWithHttp2Async(connection).ConfigureAwait(false)) await next(connection).ConfigureAwait(false);
                else await raft.ServeAsync(connection).ConfigureAwait(false);
            });
        }
        if (url.Host == "localhost") kestrel.ListenLocalhost(url.Port, Configure);
        else kestrel.Listen(IPAddress.Parse(url.Host.Trim('[', ']')), url.Port, Configure);
    }

    /// <summary>Whether the first byte is the HTTP/2 preface's 'P' (consumes nothing; false when the connection ends first).</summary>
    private static async ValueTask<bool> OpensWithHttp2Async(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            System.IO.Pipelines.ReadResult result;
            try
            {
                result = await input.ReadAsync(connection.ConnectionClosed).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionResetException)
            {
                return false;
            }
            if (!result.Buffer.IsEmpty)
            {
                bool http2 = result.Buffer.FirstSpan[0] == (byte)'P';
                input.AdvanceTo(result.Buffer.Start);
                return http2;
            }
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            if (result.IsCompleted || result.IsCanceled) return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
