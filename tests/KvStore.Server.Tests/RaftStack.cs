using KvStore.Mvcc;
using KvStore.Server.Access;
using KvStore.Server.Apply;
using Kvstorepb;
using Etcdserverpb;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Server.Tests;

/// <summary>A RaftStateMachine over its own engine, wired as EtcdServer wires it, without a member around it.</summary>
internal sealed class RaftStack : IDisposable
{
    public RaftStack(string dir, ServerConfig? config = null)
    {
        Store = MvccStore.Open(Path.Combine(dir, "engine"));
        config ??= new ServerConfig { SnapshotCount = 10_000 };
        var alarms = new AlarmStore();
        var auth = new AuthStore(Store, config, NullLogger.Instance);
        var quota = new Quota(alarms, () => 0, config.EffectiveQuotaBytes, _ => true, () => Task.CompletedTask, TimeSpan.FromSeconds(1));
        var callbacks = new MemberCallbacks(_ => { }, (_, _) => { }, _ => { }, () => new ClusterMembers(), () => 0, () => { }, () => { },
            (long _, out long free) => { free = long.MaxValue; return true; });
        Machine = new RaftStateMachine(ApplierChain.New(Store, alarms, auth, quota, revision => new ResponseHeader { Revision = revision }),
            new WaitRegistry(), Store, alarms, auth, callbacks, config, Path.Combine(dir, "snap"), NullLogger.Instance);
    }

    public MvccStore Store { get; }
    public RaftStateMachine Machine { get; }

    public void Dispose()
    {
        Machine.DrainAsync().GetAwaiter().GetResult();
        Store.Dispose();
    }
}
