using KvStore.ApiServer.Security;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.ApiServer.Tests.Security;

/// <summary>--token-auth-file read as kube's tokenfile package reads it (encoding/csv, nothing trimmed).</summary>
public sealed class TokenFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("token-file-").FullName;

    private TokenFileAuthenticator Load(string text)
    {
        var path = Path.Combine(_dir, "tokens.csv");
        File.WriteAllText(path, text);
        return TokenFileAuthenticator.FromFile(path, NullLogger.Instance);
    }

    [Fact]
    public void RecordsNameUserUidAndQuotedGroups()
    {
        var tokens = Load(""""
            31ada4fd-adec-460c-809a-9e56ceb75269,alice,1001,"dev,ops"
            "quoted ""token""",bob,,

            t3,carol,1003,single
            """");
        Assert.Equal(3, tokens.Count);
        Assert.Equal(new UserInfo("alice", "1001", ["dev", "ops"]), tokens.Authenticate("31ada4fd-adec-460c-809a-9e56ceb75269"), UserComparer);
        Assert.Equal(new UserInfo("bob", "", [""]), tokens.Authenticate("quoted \"token\""), UserComparer); // an empty 4th column is one empty group, as strings.Split
        Assert.Equal(new UserInfo("carol", "1003", ["single"]), tokens.Authenticate("t3"), UserComparer);
        Assert.Null(tokens.Authenticate("31ada4fd")); // whole tokens only
        Assert.Null(tokens.Authenticate(" t3"));
    }

    [Fact]
    public void EmptyTokensAreSkippedAndALaterDuplicateWins()
    {
        var tokens = Load("""
            ,nobody,0
            t,first,1
            t,second,2
            """);
        Assert.Equal(1, tokens.Count);
        Assert.Equal("second", tokens.Authenticate("t")!.Name);
        Assert.Null(tokens.Authenticate(""));
    }

    [Fact]
    public void FewerThanThreeColumnsIsKubesError()
    {
        var path = Path.Combine(_dir, "tokens.csv");
        File.WriteAllText(path, "t1,alice,1\nt2,bob\n");
        var e = Assert.Throws<ApiServerConfigException>(() => TokenFileAuthenticator.FromFile(path, NullLogger.Instance));
        Assert.Equal($"token file '{path}' must have at least 3 columns (token, user name, user uid), found 2", e.Message);
    }

    [Fact]
    public void AMissingFileIsGosOpenError()
    {
        var path = Path.Combine(_dir, "absent.csv");
        var e = Assert.Throws<ApiServerConfigException>(() => TokenFileAuthenticator.FromFile(path, NullLogger.Instance));
        Assert.Equal($"open {path}: no such file or directory", e.Message);
    }

    private static readonly EqualityComparer<UserInfo?> UserComparer = EqualityComparer<UserInfo?>.Create(
        (a, b) => a is not null && b is not null && a.Name == b.Name && a.Uid == b.Uid && a.Groups.SequenceEqual(b.Groups),
        u => u?.Name.GetHashCode(StringComparison.Ordinal) ?? 0);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
