using System.Text;

namespace Ipw.Scripting;

/// <summary>
/// Line input on a terminal with the REPL's history: Up and Down recall earlier submissions, Left, Right, Home, End,
/// Backspace and Delete edit, Ctrl-D on an empty line ends the session, Ctrl-C clears the line. Written here because
/// Console.ReadLine has no history on Unix and the line editors on offer are previews.
/// </summary>
internal sealed class LineEditor(List<string> history)
{
    public string? ReadLine(string prompt)
    {
        Console.Write(prompt);
        var line = new StringBuilder();
        var cursor = 0;
        var recalled = history.Count;
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    return line.ToString();
                case ConsoleKey.Backspace when cursor > 0:
                    line.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete when cursor < line.Length:
                    line.Remove(cursor, 1);
                    break;
                case ConsoleKey.LeftArrow when cursor > 0:
                    cursor--;
                    break;
                case ConsoleKey.RightArrow when cursor < line.Length:
                    cursor++;
                    break;
                case ConsoleKey.Home:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                    cursor = line.Length;
                    break;
                case ConsoleKey.UpArrow when recalled > 0:
                    recalled--;
                    Replace(line, history[recalled].Split('\n')[0], ref cursor);
                    break;
                case ConsoleKey.DownArrow when recalled < history.Count:
                    recalled++;
                    Replace(line, recalled < history.Count ? history[recalled].Split('\n')[0] : "", ref cursor);
                    break;
                case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && line.Length == 0:
                    Console.WriteLine();
                    return null;
                case ConsoleKey.C when key.Modifiers.HasFlag(ConsoleModifiers.Control):
                    line.Clear();
                    cursor = 0;
                    Console.WriteLine("^C");
                    Console.Write(prompt);
                    continue;
                default:
                    if (key.KeyChar >= ' ' && !char.IsControl(key.KeyChar)) line.Insert(cursor++, key.KeyChar);
                    else continue;
                    break;
            }
            Redraw(prompt, line, cursor);
        }
    }

    private static void Replace(StringBuilder line, string text, ref int cursor)
    {
        line.Clear().Append(text);
        cursor = line.Length;
    }

    private static void Redraw(string prompt, StringBuilder line, int cursor)
    {
        // Back to the line's start, the prompt and text again, the rest of the line cleared, the cursor placed.
        Console.Write("\r" + prompt + line + "\x1b[K");
        var back = line.Length - cursor;
        if (back > 0) Console.Write($"\x1b[{back}D");
    }
}
