namespace KvStore.ApiServer.Tests.Http;

/// <summary>The standalone facade over a 3-member kvstore cluster keeps serving kubectl while a member is killed.</summary>
public sealed class ClusterApiServerTests
{
    [Fact]
    public void KubectlKeepsWorkingWhenTheFirstEndpointsMemberIsKilled()
    {
        var dir = Directory.CreateTempSubdirectory("apiserver-cluster-").FullName;
        var members = new List<ChildProcess>();
        try
        {
            var clients = Enumerable.Range(0, 3).Select(_ => $"http://127.0.0.1:{Ports.Free()}").ToArray();
            var peers = Enumerable.Range(0, 3).Select(_ => $"http://127.0.0.1:{Ports.Free()}").ToArray();
            var cluster = string.Join(",", peers.Select((p, i) => $"m{i}={p}"));
            for (var i = 0; i < 3; i++)
            {
                members.Add(ChildProcess.KvStore(
                [
                    "--name", $"m{i}", "--data-dir", Path.Combine(dir, $"m{i}"),
                    "--listen-client-urls", clients[i], "--advertise-client-urls", clients[i],
                    "--listen-peer-urls", peers[i], "--initial-advertise-peer-urls", peers[i],
                    "--initial-cluster", cluster, "--initial-cluster-state", "new",
                ]));
            }
            foreach (var member in members)
            {
                Assert.True(member.WaitFor("ready to serve client requests", TimeSpan.FromSeconds(120)), member.Output);
            }
            using var apiserver = ApiServerProcess.StartStandalone(string.Join(",", clients));
            using var kubectl = new Kubectl(apiserver.Url);
            kubectl.Ok("apply -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: before, namespace: default}\ndata: {a: \"1\"}\n");

            members[0].Dispose(); // the endpoint the facade talks to first
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            (int Code, string Out, string Err) result;
            do
            {
                result = kubectl.Run("apply -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: after, namespace: default}\ndata: {a: \"2\"}\n");
            }
            while (result.Code != 0 && DateTime.UtcNow < deadline);
            Assert.True(result.Code == 0, result.Err + "\n" + apiserver.Output);
            var names = kubectl.Ok("get cm -o name");
            Assert.Contains("configmap/before", names);
            Assert.Contains("configmap/after", names);
        }
        finally
        {
            foreach (var member in members) member.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }
}
