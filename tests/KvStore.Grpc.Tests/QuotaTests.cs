using Etcdserverpb;
using Grpc.Core;
using static KvStore.Grpc.Tests.GrpcHost;

namespace KvStore.Grpc.Tests;

/// <summary>etcd's quota: over --quota-backend-bytes writes fail with NOSPACE and the alarm shows (its own member).</summary>
public sealed class QuotaTests : IAsyncLifetime
{
    private GrpcHost _h = null!;

    public async Task InitializeAsync() => _h = await GrpcHost.StartAsync(c => c with { QuotaBackendBytes = 1 });

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task WritesFailWithNoSpace_AndTheAlarmIsListed()
    {
        AssertStatus(StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded",
            await FailsWith(() => _h.Kv.PutAsync(new PutRequest { Key = B("q/a"), Value = B("v") }).ResponseAsync));
        AssertStatus(StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded",
            await FailsWith(() => _h.Lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 60 }).ResponseAsync));

        AlarmResponse alarms = new();
        for (int i = 0; i < 100 && alarms.Alarms.Count == 0; i++)
        {
            alarms = await _h.Maintenance.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get });
            if (alarms.Alarms.Count == 0) await Task.Delay(20);
        }
        AlarmMember nospace = Assert.Single(alarms.Alarms);
        Assert.Equal(AlarmType.Nospace, nospace.Alarm);
        Assert.Equal(_h.Server.MemberId, nospace.MemberID);
        Assert.Contains($"memberID:{_h.Server.MemberId} alarm:NOSPACE ", (await _h.Maintenance.StatusAsync(new StatusRequest())).Errors);
        // reads still work
        Assert.Empty((await _h.Kv.RangeAsync(new RangeRequest { Key = B("q/a") })).Kvs);
    }
}
