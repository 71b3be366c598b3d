using System.Text;
using System.Xml;

namespace Realtime.Relay.PluginDownload;

/// <summary>
/// Writes an instance tree as a Roblox XML model (<c>.rbxmx</c>): <c>&lt;roblox version="4"&gt;</c>
/// holding nested <c>&lt;Item class referent&gt;</c> elements, each with <c>&lt;Properties&gt;</c>
/// carrying <c>&lt;string name="Name"&gt;</c> and, for scripts, the source as
/// <c>&lt;ProtectedString name="Source"&gt;</c> in CDATA. A <c>]]&gt;</c> inside a source is split
/// across two CDATA sections. Output is deterministic: the same tree gives the same bytes
/// (referents are numbered depth-first).
/// </summary>
public static class RbxmxWriter
{
    private const string CDataEnd = "]]>";

    public static byte[] Write(PluginInstance root)
    {
        var settings = new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            OmitXmlDeclaration = true,
            Indent = true,
            IndentChars = "\t",
            NewLineChars = "\n",
            NewLineHandling = NewLineHandling.None, // leave sources exactly as they are
            CheckCharacters = true,
        };
        using var buffer = new MemoryStream();
        using (var xml = XmlWriter.Create(buffer, settings))
        {
            xml.WriteStartElement("roblox");
            xml.WriteAttributeString("version", "4");
            var next = 0;
            WriteItem(xml, root, ref next);
            xml.WriteEndElement();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteItem(XmlWriter xml, PluginInstance instance, ref int next)
    {
        xml.WriteStartElement("Item");
        xml.WriteAttributeString("class", instance.ClassName);
        xml.WriteAttributeString("referent", "RBX" + next++.ToString("X32"));

        xml.WriteStartElement("Properties");
        xml.WriteStartElement("string");
        xml.WriteAttributeString("name", "Name");
        xml.WriteString(instance.Name);
        xml.WriteEndElement();
        if (instance.Source is { } source)
        {
            xml.WriteStartElement("ProtectedString");
            xml.WriteAttributeString("name", "Source");
            foreach (var section in CDataSections(source)) xml.WriteCData(section);
            xml.WriteEndElement();
        }
        xml.WriteEndElement();

        foreach (var child in instance.Children) WriteItem(xml, child, ref next);
        xml.WriteEndElement();
    }

    /// <summary>
    /// The source cut so that no section contains <c>]]&gt;</c>: each occurrence is split between
    /// its <c>]]</c> and its <c>&gt;</c>. Concatenated, the sections are the source.
    /// </summary>
    public static IEnumerable<string> CDataSections(string source)
    {
        var start = 0;
        int end;
        while ((end = source.IndexOf(CDataEnd, start, StringComparison.Ordinal)) >= 0)
        {
            yield return source[start..(end + 2)];
            start = end + 2;
        }
        yield return source[start..];
    }
}
