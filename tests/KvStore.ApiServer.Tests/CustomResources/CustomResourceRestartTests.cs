using KvStore.ApiServer.Tests.Http;
using static KvStore.ApiServer.Tests.CustomResources.CrdManifests;

namespace KvStore.ApiServer.Tests.CustomResources;

/// <summary>
/// CRDs are stored objects: the standalone facade over the real etcd 3.4 serves them on every apiserver of the store
/// (one creates the CRD, another serves its resources, found through its watch), after an apiserver restart, and
/// stops serving them everywhere when one deletes the CRD; a member restart keeps the in-member facade's CRDs.
/// </summary>
public sealed class CustomResourceRestartTests
{
    private const string Group = "stable.restart.example.com";

    [Fact]
    public void TwoApiserversOverRealEtcdServeTheCrdAcrossARestartAndBothStopWhenItIsDeleted()
    {
        using var etcd = SingleMember.StartEtcd();
        using var other = ApiServerProcess.StartStandalone(etcd.ClientUrl);
        using var viaOther = new Kubectl(other.Url);
        using (var first = ApiServerProcess.StartStandalone(etcd.ClientUrl))
        using (var kubectl = new Kubectl(first.Url))
        {
            kubectl.Ok("apply -f -", CronTab(Group, "crt"));
            WaitServed(viaOther, true);
            viaOther.Ok("apply -f -", CronTabObject(Group, "daily", "default", "{cronSpec: '0 3 * * *', image: busybox}"));
            Assert.Matches(@"(?m)^daily +0 3 \* \* \* +1 +\d+s$", kubectl.Ok("get crt"));
        }
        using (var again = ApiServerProcess.StartStandalone(etcd.ClientUrl))
        using (var kubectl = new Kubectl(again.Url))
        {
            Assert.Matches(@"(?m)^daily +0 3 \* \* \* +1 +\d+s$", kubectl.Ok("get crt"));
            Assert.Equal("True", kubectl.OkArgs("get", "crd", $"crontabs.{Group}", "-o", "jsonpath={.status.conditions[?(@.type==\"Established\")].status}"));
            kubectl.Ok($"delete crd crontabs.{Group}");
            WaitServed(viaOther, false);
        }
        var (code, keys, error) = Etcdctl.Run(etcd.ClientUrl, ["get", "--prefix", "/registry/", "--keys-only"]);
        Assert.True(code == 0, error);
        Assert.DoesNotContain(Group, keys);
    }

    [Fact]
    public void AMemberRestartKeepsTheInMemberFacadesCrdsAndObjects()
    {
        var dir = Directory.CreateTempSubdirectory("apiserver-crd-restart-").FullName;
        try
        {
            int client = Ports.Free(), peer = Ports.Free(), api = Ports.Free();
            using (var member = ApiServerProcess.StartMember(Path.Combine(dir, "data"), client, peer, api))
            using (var kubectl = new Kubectl(member.Url))
            {
                kubectl.Ok("apply -f -", CronTab(Group, "crt"));
                kubectl.Ok("apply -f -", CronTabObject(Group, "kept", "default", "{cronSpec: '* * * * *'}"));
            }
            using (var member = ApiServerProcess.StartMember(Path.Combine(dir, "data"), client, peer, api))
            using (var kubectl = new Kubectl(member.Url))
            {
                Assert.Matches(@"(?m)^kept +\* \* \* \* \* +1 +\d+s$", kubectl.Ok("get crt"));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Until the apiserver serves (or no longer serves) the group: it learns of the CRD through its watch.</summary>
    private static void WaitServed(Kubectl kubectl, bool served)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (kubectl.Run(["get", "--raw", $"/apis/{Group}/v1"]).Code == 0 != served)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{Group} still {(served ? "not " : "")}served");
            Thread.Sleep(200);
        }
    }
}
