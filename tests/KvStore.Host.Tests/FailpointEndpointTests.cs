using System.Net;

namespace KvStore.Host.Tests;

/// <summary>/debug/failpoints (gofail's HTTP interface) on a real member: there only with KVSTORE_FAILPOINTS=1.</summary>
public sealed class FailpointEndpointTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    [Fact]
    public async Task PointsAreArmedListedAndDisarmedOverHttpAndBadTermsRefused()
    {
        using var member = new Member(environment: new Dictionary<string, string> { ["KVSTORE_FAILPOINTS"] = "1" });
        member.Process.WaitUntilReady();
        Assert.Contains("failpoints raftBeforeSave, raftAfterSave can be armed", member.Process.Output, StringComparison.Ordinal);
        string url = member.ClientUrl + "/debug/failpoints";

        using (var refused = await Http.PutAsync(url + "/raftBeforeSave", new StringContent("return")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("unsupported term 'return': sleep(MILLISECONDS), panic or off\n", await refused.Content.ReadAsStringAsync());
        }
        using (var unknown = await Http.PutAsync(url + "/raftBeforeApply", new StringContent("sleep(1)")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        }
        using (var armed = await Http.PutAsync(url + "/raftBeforeSave", new StringContent("sleep(10)")))
        {
            Assert.Equal(HttpStatusCode.NoContent, armed.StatusCode);
        }
        Assert.Equal("raftBeforeSave=sleep(10)\n", await Http.GetStringAsync(url));
        using (var disarmed = await Http.DeleteAsync(url + "/raftBeforeSave"))
        {
            Assert.Equal(HttpStatusCode.NoContent, disarmed.StatusCode);
        }
        using (var again = await Http.DeleteAsync(url + "/raftBeforeSave"))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }
        Assert.Equal("", await Http.GetStringAsync(url));
    }

    /// <summary>
    /// raftAfterSave=panic: the member dies after its log synced the put's entry and before the put is answered; the
    /// restarted member has it (an entry durable but never acknowledged may be kept: the client saw an error).
    /// </summary>
    [Fact]
    public async Task APanicFailpointKillsTheMemberAfterTheSyncAndTheRestartKeepsTheEntry()
    {
        using var dir = new TempDir();
        int client = Ports.Free(), peer = Ports.Free();
        string clientUrl = $"http://127.0.0.1:{client}";
        string[] args =
        [
            "--data-dir", Path.Combine(dir.Path, "data"), "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
            "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
        ];
        var environment = new Dictionary<string, string> { ["KVSTORE_FAILPOINTS"] = "1" };
        using (var first = new KvStoreProcess(args, dir.Path, environment))
        {
            first.WaitUntilReady();
            using (var armed = await Http.PutAsync(clientUrl + "/debug/failpoints/raftAfterSave", new StringContent("panic")))
            {
                Assert.Equal(HttpStatusCode.NoContent, armed.StatusCode);
            }
            var (exit, _, _) = Etcdctl.Run(clientUrl, ["--command-timeout=5s", "put", "crash/key", "synced"]);
            Assert.NotEqual(0, exit);
            Assert.NotNull(first.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.Contains("failpoint raftAfterSave: panic", first.Output, StringComparison.Ordinal);
        }
        using var second = new KvStoreProcess(args, dir.Path, environment);
        second.WaitUntilReady();
        var (code, output, error) = Etcdctl.Run(clientUrl, ["get", "crash/key", "--print-value-only"]);
        Assert.True(code == 0, error);
        Assert.Equal("synced", output.Trim());
    }

    [Fact]
    public async Task AMemberStartedWithoutTheVariableHasNoFailpoints()
    {
        using var member = new Member();
        member.Process.WaitUntilReady();
        using var response = await Http.PutAsync(member.ClientUrl + "/debug/failpoints/raftBeforeSave", new StringContent("sleep(10)"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("failpoints", member.Process.Output, StringComparison.Ordinal);
    }
}
