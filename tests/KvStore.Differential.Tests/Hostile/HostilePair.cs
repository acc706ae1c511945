using Etcdserverpb;
using Google.Protobuf;

namespace KvStore.Differential.Tests.Hostile;

/// <summary>
/// A real etcd 3.4 and a kvstore started with the same flags, each alone on tmpfs, holding the same keys
/// (a=1, b=2, c=3): what a hostile-input case runs against, once on each.
/// </summary>
public abstract class HostilePair : IAsyncLifetime
{
    internal HostileSide Etcd { get; private set; } = null!;

    internal HostileSide KvStore { get; private set; } = null!;

    internal IEnumerable<HostileSide> Sides => [Etcd, KvStore];

    /// <summary>The flags both servers get.</summary>
    protected abstract string[] Flags { get; }

    /// <summary>The client URLs' scheme: http, or https with TLS flags in <see cref="Flags"/>.</summary>
    protected virtual string ClientScheme => "http";

    public async Task InitializeAsync()
    {
        Task<SingleMember> etcd = Task.Run(() => SingleMember.StartEtcd(Flags, tmpfs: true, clientScheme: ClientScheme));
        Task<SingleMember> kvstore = Task.Run(() => SingleMember.StartKvStore(Flags, tmpfs: true, clientScheme: ClientScheme));
        await Task.WhenAll(etcd, kvstore).ContinueWith(static _ => { }, TaskScheduler.Default);
        if (etcd.IsCompletedSuccessfully) Etcd = Side(etcd.Result);
        if (kvstore.IsCompletedSuccessfully) KvStore = Side(kvstore.Result);
        await Task.WhenAll(etcd, kvstore); // a failed start fails the fixture (disposal stops the other)
        foreach (HostileSide side in Sides)
        {
            await SetUpAsync(side);
            foreach (string key in (string[])["a", "b", "c"])
            {
                await side.Kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(key + "-value") }, side.Admin);
            }
        }
    }

    private protected virtual HostileSide Side(SingleMember member) => new(member);

    /// <summary>Users, roles and the like, before the keys are written.</summary>
    private protected virtual Task SetUpAsync(HostileSide side) => Task.CompletedTask;

    public virtual Task DisposeAsync()
    {
        Etcd?.Dispose();
        KvStore?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// No auth; a small --max-request-bytes (10 KiB: gRPC then takes messages up to 10 KiB + 512 KiB) and etcd's
/// default --max-txn-ops, given explicitly.
/// </summary>
public sealed class PlainPair : HostilePair
{
    public const int MaxRequestBytes = 10 * 1024;

    /// <summary>etcd's grpcOverheadBytes: the gRPC server takes messages up to --max-request-bytes plus this.</summary>
    public const int GrpcOverheadBytes = 512 * 1024;

    public const int MaxTxnOps = 128;

    protected override string[] Flags => ["--max-request-bytes", MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--max-txn-ops", MaxTxnOps.ToString(System.Globalization.CultureInfo.InvariantCulture)];
}
