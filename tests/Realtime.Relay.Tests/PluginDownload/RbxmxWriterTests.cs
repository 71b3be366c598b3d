using System.Text;
using System.Xml.Linq;
using Realtime.Relay.PluginDownload;

namespace Realtime.Relay.Tests.PluginDownload;

public sealed class RbxmxWriterTests
{
    private static PluginInstance Script(string name, string source, string className = "ModuleScript") =>
        new(name, className, source, PluginInstance.NoChildren);

    [Theory]
    [InlineData("local s = \"]]>\"\nreturn s\n")]
    [InlineData("]]>")]
    [InlineData("a]]>b]]>]]>c]]")]
    [InlineData("x[[nested]]>y]]]>z\n")]
    [InlineData("")]
    public void A_source_containing_the_cdata_end_round_trips(string source)
    {
        var root = new PluginInstance("Root", "Folder", null, [Script("Module", source)]);
        var xml = Encoding.UTF8.GetString(RbxmxWriter.Write(root));

        var doc = XDocument.Parse(xml);
        var served = doc.Descendants("ProtectedString").Single();
        Assert.Equal(source, served.Value);
        Assert.All(served.Nodes(), n => Assert.IsType<XCData>(n));
        if (source.Contains("]]>")) Assert.Contains("]]]]><![CDATA[>", xml);
    }

    [Fact]
    public void Sections_split_each_cdata_end_between_the_brackets_and_the_angle()
    {
        Assert.Equal(new[] { "a]]", ">b]]", ">" }, RbxmxWriter.CDataSections("a]]>b]]>"));
        Assert.Equal(new[] { "plain" }, RbxmxWriter.CDataSections("plain"));
    }

    [Fact]
    public void Writes_roblox_version_4_with_nested_items_names_classes_and_sources()
    {
        var root = new PluginInstance("RealtimeBridge", "Folder", null,
        [
            new PluginInstance("Plugin", "Script", "print('hi') -- é ✓ 🚀\r\n", [Script("App", "return {}")]),
            Script("Client", "-- <tag> & \"quotes\"", "LocalScript"),
        ]);
        var bytes = RbxmxWriter.Write(root);
        Assert.Equal(bytes, RbxmxWriter.Write(root)); // deterministic
        Assert.False(bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }), "no BOM");

        var doc = XDocument.Parse(Encoding.UTF8.GetString(bytes));
        Assert.Equal("roblox", doc.Root!.Name.LocalName);
        Assert.Equal("4", (string?)doc.Root.Attribute("version"));
        var top = Assert.Single(doc.Root.Elements("Item"));
        Assert.Equal("Folder", (string?)top.Attribute("class"));
        Assert.Null(top.Element("Properties")!.Element("ProtectedString"));
        var plugin = top.Elements("Item").First();
        Assert.Equal("Script", (string?)plugin.Attribute("class"));
        Assert.Equal("Plugin", (string?)plugin.Element("Properties")!.Element("string"));
        Assert.StartsWith("print('hi') -- é ✓ 🚀", (string)plugin.Element("Properties")!.Element("ProtectedString")!);
        Assert.Equal("App", (string?)plugin.Element("Item")!.Element("Properties")!.Element("string"));
        var client = top.Elements("Item").Last();
        Assert.Equal("LocalScript", (string?)client.Attribute("class"));
        Assert.Equal("-- <tag> & \"quotes\"", (string)client.Element("Properties")!.Element("ProtectedString")!);
        Assert.Equal(4, doc.Descendants("Item").Select(i => (string?)i.Attribute("referent")).Distinct().Count());
    }
}
