using Xunit.Abstractions;

namespace KvStore.Differential.Tests.Hostile;

/// <summary>
/// Issue 10's hostile-input matrix, one row per case: each runs against a real etcd 3.4 and kvstore started with the
/// same flags, and passes when both give etcd's exact answer (or, where etcd 3.4 is itself wrong, 3.5's), the
/// revision and HashKV are unchanged (or moved by what the case wrote), and a put/get on a fresh connection
/// succeeds afterwards. The rows print as "Refused_like_etcd(input: ...)".
/// </summary>
public sealed class PlainHostileInputTests(PlainPair pair, ITestOutputHelper output) : IClassFixture<PlainPair>
{
    private static IEnumerable<HostileCase> All => RequestCases.All.Concat(ProtobufCases.All).Concat(GatewayCases.All).Concat(ConnectionCases.All);

    public static TheoryData<string> Inputs => [.. All.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Inputs))]
    public Task Refused_like_etcd(string input) => HostileRunner.RunAsync(All.Single(c => c.Name == input), pair, output);
}

/// <summary>The matrix's credential rows, on a pair with auth enabled (see <see cref="AuthPair"/>).</summary>
public sealed class AuthHostileInputTests(AuthPair pair, ITestOutputHelper output) : IClassFixture<AuthPair>
{
    public static TheoryData<string> Inputs => [.. AuthCases.For(null).Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Inputs))]
    public Task Refused_like_etcd(string input) => HostileRunner.RunAsync(AuthCases.For(pair).Single(c => c.Name == input), pair, output);
}

/// <summary>The matrix's TLS rows, on a pair serving https with --client-cert-auth and a CRL (see <see cref="TlsPair"/>).</summary>
public sealed class TlsHostileInputTests(TlsPair pair, ITestOutputHelper output) : IClassFixture<TlsPair>
{
    public static TheoryData<string> Inputs => [.. TlsCases.For(null).Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Inputs))]
    public Task Refused_like_etcd(string input) => HostileRunner.RunAsync(TlsCases.For(pair).Single(c => c.Name == input), pair, output);
}

/// <summary>
/// The rows not sent to the matrix's etcd because etcd 3.4 exits on them: each is sent to an etcd 3.4 of its own,
/// which must die with a Go panic (what the matrix's note says), while kvstore answered it in the matrix.
/// </summary>
public sealed class EtcdCrashTests(ITestOutputHelper output)
{
    private static IEnumerable<HostileCase> Crashing => RequestCases.All.Concat(ProtobufCases.All).Where(c => c.CrashesEtcd34);

    public static TheoryData<string> Inputs => [.. Crashing.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Etcd_3_4_exits(string input)
    {
        HostileCase c = Crashing.Single(x => x.Name == input);
        using var etcd = new HostileSide(SingleMember.StartEtcd(tmpfs: true));
        string outcome = await Outcome.OfAsync(() => c.Run(etcd), TimeSpan.FromSeconds(30));
        Assert.True(etcd.Member.Process.WaitForExit(TimeSpan.FromSeconds(30)), $"etcd still runs after {input}: {outcome}");
        string panic = etcd.Member.Output.Split('\n').FirstOrDefault(l => l.StartsWith("panic:", StringComparison.Ordinal)) ?? "";
        output.WriteLine($"{input}: the client saw {outcome}; etcd: {panic}");
        Assert.StartsWith("panic: runtime error:", panic);
    }
}
