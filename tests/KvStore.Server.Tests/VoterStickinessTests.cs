using System.Net;
using System.Runtime.CompilerServices;
using DotNext.Diagnostics;
using DotNext.Net.Cluster.Consensus.Raft;
using KvStore.Server;
using Xunit;

namespace KvStore.Server.Tests;

/// <summary>
/// <see cref="VoterStickiness"/> on a real (unstarted) DotNext member: the field it moves exists in the DotNext
/// build we ship, and it moves it only between the base timeout and the member's own election timeout.
/// </summary>
public sealed class VoterStickinessTests
{
    // The test's own view of the same private field, to set the silence it starts from and read what Release left.
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "lastUpdated")]
    private static extern ref Timestamp LastHeard(RaftCluster<RaftClusterMember> cluster);

    private static readonly TimeSpan BaseTimeout = TimeSpan.FromMilliseconds(1000);

    private static RaftCluster Member() =>
        // own election timeout 1500 ms (DotNext draws from [lower, upper]): the gap Release closes is 500 ms
        new(new RaftCluster.TcpConfiguration(new IPEndPoint(IPAddress.Loopback, 0))
        {
            LowerElectionTimeout = 1500,
            UpperElectionTimeout = 1501,
            ConfigurationStorage = new EndPointConfigurationStorage(Path.Combine(Path.GetTempPath(), $"kvstore-tests-voters-{Guid.NewGuid():N}.cfg")),
        })
        {
            AuditTrail = new ConsensusOnlyState(),
        };

    [Fact]
    public void TheDotNextWeShipHasTheField()
    {
        using RaftCluster member = Member();
        Assert.True(VoterStickiness.Supported(member));
    }

    [Fact]
    public void SilentPastTheBaseTimeoutButNotItsOwnGrantsFromNow()
    {
        using RaftCluster member = Member();
        LastHeard(member) = new Timestamp() - TimeSpan.FromMilliseconds(1100);

        Assert.True(VoterStickiness.Release(member, BaseTimeout));

        // DotNext's (pre-)vote check: elapsed since the leader's last word >= the member's own timeout
        Assert.True(LastHeard(member).Elapsed >= member.ElectionTimeout, $"{LastHeard(member).Elapsed} < {member.ElectionTimeout}");
        Assert.False(VoterStickiness.Release(member, BaseTimeout)); // already granting: left alone
    }

    [Fact]
    public void HeardFromTheLeaderWithinTheBaseTimeoutKeepsRefusing()
    {
        using RaftCluster member = Member();
        Timestamp recent = new Timestamp() - TimeSpan.FromMilliseconds(400);
        LastHeard(member) = recent;

        Assert.False(VoterStickiness.Release(member, BaseTimeout));
        Assert.Equal(recent, LastHeard(member));
    }

    [Fact]
    public void NeverHeardFromALeaderIsLeftToDotNext()
    {
        using RaftCluster member = Member();

        Assert.False(VoterStickiness.Release(member, BaseTimeout));
        Assert.True(LastHeard(member).IsEmpty);
    }
}
