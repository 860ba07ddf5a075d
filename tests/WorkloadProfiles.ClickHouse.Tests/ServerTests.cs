namespace WorkloadProfiles.ClickHouse.Tests;

public sealed class ServerTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Select_one_answers_one()
    {
        Assert.Equal("1", await fixture.Database.ScalarTextAsync("SELECT 1"));
    }

    [Fact]
    public async Task Server_version_is_read_and_parsed()
    {
        var version = await fixture.Database.GetServerVersionAsync();
        var text = await fixture.Database.ScalarTextAsync("SELECT version()");

        Assert.Equal(ServerVersion.Parse(text), version);
        Assert.True(version >= new ServerVersion(18, 16), $"server {version}");
    }

    [Fact]
    public async Task Ping_is_false_for_a_port_nobody_listens_on()
    {
        using var nowhere = new ClickHouseDatabase("Host=127.0.0.1;Port=1;Protocol=http;Timeout=2", "default");
        Assert.False(await nowhere.PingAsync());
    }
}
