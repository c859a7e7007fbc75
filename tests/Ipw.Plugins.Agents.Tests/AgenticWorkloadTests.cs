using System.Globalization;
using Ipw.Abstractions;
using Ipw.Plugins.Agents;
using Ipw.Plugins.Agents.Tools;

namespace Ipw.Plugins.Agents.Tests;

/// <summary>The ipw-agentic tasks against the tools they were written for: every reference solution, run step by step
/// through the real tools, finds the entries it names and ends at the task's answer.</summary>
public sealed class AgenticWorkloadTests
{
    [Fact]
    public void Every_task_is_solved_by_its_reference_plan_through_the_tools()
    {
        var tools = AgenticWorkload.Tools();
        var problems = new List<string>();
        foreach (var task in AgenticWorkload.Tasks)
        {
            string? last = null;
            foreach (var step in task.Plan)
            {
                var (output, failed) = ToolSet.Call(tools, step.Tool, step.Input);
                if (failed) problems.Add($"{task.Id}: {step.Tool}({step.Input}) failed: {output}");
                if (step.ExpectKey is { } key && !output.StartsWith(key + ":", StringComparison.Ordinal))
                    problems.Add($"{task.Id}: search '{step.Input}' found '{output.Split('\n')[0]}' first, not {key}");
                last = output;
            }
            if (task.Grader == "numeric")
            {
                var got = double.Parse(last!, CultureInfo.InvariantCulture);
                var want = double.Parse(task.Answer, CultureInfo.InvariantCulture);
                if (Math.Abs(got - want) > task.Tolerance!.Value + 1e-9) problems.Add($"{task.Id}: the plan ends at {got}, the answer is {want}");
            }
            else if (!last!.Contains(task.Answer, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{task.Id}: '{task.Answer}' is not in the last step's output");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_workload_has_at_least_100_tasks_of_2_to_6_tool_calls_across_five_subjects()
    {
        var tasks = AgenticWorkload.Tasks;
        Assert.True(tasks.Count >= 100, $"{tasks.Count} tasks");
        Assert.All(tasks, t => Assert.InRange(t.Plan.Count, 2, 6));
        Assert.Equal(tasks.Count, tasks.Select(t => t.Id).Distinct().Count());
        Assert.Equal(AgenticDataset.Subjects.Order(), tasks.Select(t => t.Subject).Distinct().Order());
        Assert.All(AgenticDataset.Subjects, s => Assert.True(tasks.Count(t => t.Subject == s) >= 20, s));
        Assert.True(tasks.Count(t => t.Plan.Select(p => p.Tool).Distinct().Count() >= 2) >= tasks.Count * 0.7);
        Assert.All(tasks, t => Assert.Contains(t.Grader, new[] { "numeric", "exact" }));
        Assert.True(AgenticWorkload.Files.Count >= 15);
        Assert.True(AgenticWorkload.Corpus.Count >= 150);
    }

    [Fact]
    public void The_dataset_yields_the_tasks_with_their_graders_and_selects_by_subject_and_sample()
    {
        var all = new AgenticDataset(new DatasetOptions(null, new Dictionary<string, string>())).Items().ToList();
        Assert.Equal(AgenticWorkload.Tasks.Count, all.Count);
        var first = all[0];
        Assert.Equal("agentic-finance-001", first.Id);
        Assert.Equal("791.8", first.Reference);
        Assert.Equal("numeric:0.05", first.Grader);
        Assert.Equal("3", first.Metadata["reference_tool_calls"]);
        Assert.Equal("search,calculator", first.Metadata["reference_tools"]);
        Assert.Contains(all, i => i.Grader == "exact");

        var physics = new AgenticDataset(new DatasetOptions(null, new Dictionary<string, string> { ["subjects"] = "physics", ["sample"] = "5" }));
        Assert.Equal(5, physics.Count);
        Assert.All(physics.Items(), i => Assert.Equal("physics", i.Subject));
        var shuffled = new AgenticDataset(new DatasetOptions(null, new Dictionary<string, string> { ["shuffle"] = "true", ["seed"] = "3" })).Items().Select(i => i.Id).ToList();
        Assert.NotEqual(all.Select(i => i.Id), shuffled);
        Assert.Equal(all.Select(i => i.Id).Order(), shuffled.Order());
        Assert.Throws<PluginConfigurationException>(() => new AgenticDataset(new DatasetOptions(null, new Dictionary<string, string> { ["subjects"] = "cooking" })));
        Assert.Throws<PluginConfigurationException>(() => new AgenticDataset(new DatasetOptions("x.jsonl", new Dictionary<string, string>())));
    }
}
