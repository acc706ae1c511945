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
        Assert.Contains("failpoints raftBeforeSave can be armed", member.Process.Output, StringComparison.Ordinal);
        string url = member.ClientUrl + "/debug/failpoints";

        using (var refused = await Http.PutAsync(url + "/raftBeforeSave", new StringContent("panic")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("unsupported term 'panic': sleep(MILLISECONDS) or off\n", await refused.Content.ReadAsStringAsync());
        }
        using (var unknown = await Http.PutAsync(url + "/raftAfterSave", new StringContent("sleep(1)")))
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
