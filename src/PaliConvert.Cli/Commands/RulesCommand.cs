using System.CommandLine;
using PaliConvert.Mapping;
using PaliConvert.Models;

namespace PaliConvert.Cli.Commands;

public static class RulesCommand
{
    public static Command Create()
    {
        var family = new ChoiceOption<GemmaFamily?>("--family", "1 (PaliGemma, Gemma), 2 (PaliGemma 2, Gemma 2) or all", "all",
            ("all", null), ("1", GemmaFamily.Gemma), ("2", GemmaFamily.Gemma2));
        var json = new Option<bool>("--json") { Description = "Print the table as JSON" };
        var mappings = MappingsFolder.Option("Folder of mapping rule files");
        var cmd = new Command("rules", "The mapping on the screen: every big_vision tensor beside the Hugging Face tensors it becomes " +
            "and the operations (unstack, split, transpose, reshape, pad_rows)") { family.Option, json, mappings };
        cmd.SetAction(r => Run.Guarded(() =>
        {
            var table = RuleTable.Of(RuleSet.Load(r.GetValue(mappings)!), family.Read(r));
            Console.Out.Write(r.GetValue(json) ? Json.Serialize(table) + "\n" : table.ToText());
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
