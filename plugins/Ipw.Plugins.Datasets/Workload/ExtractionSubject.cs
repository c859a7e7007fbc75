using System.Text;
using Ipw.Abstractions;
using static Ipw.Plugins.Datasets.Workload.Shared;

namespace Ipw.Plugins.Datasets.Workload;

/// <summary>
/// Extraction tasks of the built-in workload: invoices, logs, meeting notes, stock reports and phone directories
/// from about 150 to 15,000 characters, each with one question whose answer is copied from the document.
/// </summary>
internal static class ExtractionSubject
{
    private static readonly WorkloadData Data = WorkloadData.Load("extraction");

    // Invented companies, products and document lines (Workload/extraction.jsonl); a "#" in a message or update
    // is replaced by a drawn number.
    private static readonly string[] Companies = Data.Strings("companies");
    private static readonly string[] Products = Data.Strings("products");
    private static readonly string[] Services = Data.Strings("services");
    private static readonly string[] InfoMessages = Data.Strings("info_messages");
    private static readonly string[] DebugMessages = Data.Strings("debug_messages");
    private static readonly string[] WarnMessages = Data.Strings("warn_messages");
    private static readonly string[] ErrorMessages = Data.Strings("error_messages");
    private static readonly string[] Roles = Data.Strings("roles");
    private static readonly string[] MeetingUpdates = Data.Strings("meeting_updates");
    private static readonly string[] MeetingActions = Data.Strings("meeting_actions");
    private static readonly string[] SkuPrefixes = Data.Strings("sku_prefixes");
    private static readonly string[] Departments = Data.Strings("departments");
    private static readonly string[] Buildings = Data.Strings("buildings");

    // Number tables and bin letters stay next to the code that formats them.
    private static readonly decimal[] TaxRates = [5m, 6.5m, 7m, 8.25m, 10m, 20m];

    private static readonly int[] PaymentTerms = [14, 30, 45, 60];

    private const string BinLetters = "ABCDEFGH";

    // Target document sizes in characters, from a short note to a long file; each document type cycles through them
    // (16 sizes x 5 document types = 80 items, so the 160 items walk the ladder twice).
    private static readonly int[] DocSizes =
    [
        150, 400, 800, 1300, 2000, 2900, 3900, 5100, 6500, 8000, 9000, 10_000, 11_000, 12_000, 13_500, 15_000,
    ];

    // No target above this: a generator may run one line past its target and the instructions add about 300
    // characters, which keeps the longest extraction prompt under IpwWorkload.MaxPromptChars.
    private const int MaxDocTarget = 14_800;

    public static List<WorkloadItem> Items(int count, int seed)
    {
        var rng = new Random(seed);
        var items = new List<WorkloadItem>(count);
        for (int i = 0; i < count; i++)
        {
            int size = DocSizes[i / 5 % DocSizes.Length];
            int target = Math.Min(MaxDocTarget, size + rng.Next(-size / 20, size / 20 + 1)); // +-5% so sizes are not all round numbers
            var (task, doc, question, answer) = (i % 5) switch
            {
                0 => Invoice(rng, target),
                1 => LogFile(rng, target),
                2 => MeetingNotes(rng, target),
                3 => Inventory(rng, target),
                _ => StaffDirectory(rng, target),
            };
            string prompt = "Read the document below, then answer the question after it.\n\n<document>\n" + doc +
                "\n</document>\n\nQuestion: " + question +
                "\nAnswer with the value only, exactly as it is written in the document.";
            items.Add(Item(Id("extract", i), "extraction", null, prompt, answer, "exact", "short", task,
                ("doc_chars", doc.Length.ToString(Inv))));
        }

        return items;
    }

    private static (string Task, string Doc, string Question, string Answer) Invoice(Random rng, int target)
    {
        string number = F($"INV-{rng.Next(10000, 100000)}");
        int vendor = rng.Next(Companies.Length);
        int customer = (vendor + 1 + rng.Next(Companies.Length - 1)) % Companies.Length;
        decimal rate = Pick(rng, TaxRates);
        decimal shipping = rng.Next(0, 60) * 0.5m;

        var sb = new StringBuilder();
        sb.Append(F($"INVOICE {number}\nVendor: {Companies[vendor]}\nBill to: {Companies[customer]}\nIssue date: {RandomDate(rng)}\nPayment terms: net {Pick(rng, PaymentTerms)} days\nCurrency: USD\n\n"));
        sb.Append("Qty  Description                         Unit price      Amount\n");

        const int FooterLength = 90; // approximate size of the totals block appended below
        decimal subtotal = 0m;
        int lines = 0;
        do
        {
            int qty = rng.Next(1, 25);
            decimal unit = rng.Next(50, 20000) * 0.01m;
            decimal amount = qty * unit;
            subtotal += amount;
            sb.Append(F($"{qty,3}  {Pick(rng, Products),-34} {unit,10:0.00} {amount,11:0.00}\n"));
            lines++;
        }
        while (sb.Length + FooterLength < target);

        decimal tax = Math.Round(subtotal * rate / 100m, 2, MidpointRounding.AwayFromZero);
        decimal total = subtotal + tax + shipping;
        sb.Append(F($"\nLine items: {lines}\nSubtotal: {subtotal:0.00}\nTax ({rate:0.##}%): {tax:0.00}\nShipping: {shipping:0.00}\nTotal due: {total:0.00}"));

        // Mostly ask for the total; sometimes the tax, so the answer is not always the last number.
        return rng.Next(3) == 0
            ? ("invoice-tax", sb.ToString(), "What is the tax amount charged on this invoice?", tax.ToString("0.00", Inv))
            : ("invoice-total", sb.ToString(), "What is the total amount due on this invoice?", total.ToString("0.00", Inv));
    }

    private readonly record struct LogLine(string Time, string Level, string RequestId, string Service, string Message)
    {
        public override string ToString() => $"{Time} {Level,-5} [{RequestId}] {Service}: {Message}";
    }

    private static (string Task, string Doc, string Question, string Answer) LogFile(Random rng, int target)
    {
        string date = RandomDate(rng);
        int clock = rng.Next(0, 12 * 3600); // seconds since midnight; lines only move forward in time
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var lines = new List<LogLine>();
        int length = 0;
        do
        {
            clock += rng.Next(1, 45);
            string id;
            do
            {
                id = F($"req-{rng.Next(0x100000, 0x1000000):x6}");
            }
            while (!ids.Add(id)); // request ids are unique, so the answer is unambiguous

            int roll = rng.Next(10);
            var (level, messages) = roll < 6 ? ("INFO", InfoMessages) : roll < 8 ? ("DEBUG", DebugMessages) : ("WARN", WarnMessages);
            string message = Pick(rng, messages).Replace("#", rng.Next(2, 100).ToString(Inv));
            var line = new LogLine(Clock(date, clock), level, id, Pick(rng, Services), message);
            lines.Add(line);
            length += line.ToString().Length + 1;
        }
        while (lines.Count < 3 || length < target);

        // Exactly one line becomes the ERROR line.
        int errorAt = rng.Next(lines.Count);
        lines[errorAt] = lines[errorAt] with { Level = "ERROR", Message = Pick(rng, ErrorMessages) };
        string doc = string.Join("\n", lines.Select(l => l.ToString()));
        return ("log-error-id", doc,
            "Exactly one line in this log has the level ERROR. What is the request id (the value in square brackets) on that line?",
            lines[errorAt].RequestId);
    }

    private static (string Task, string Doc, string Question, string Answer) MeetingNotes(Random rng, int target)
    {
        string project = "Project " + Pick(rng, ProjectNames);
        var roles = new List<string>(Roles);
        Shuffle(rng, roles);
        int attendees = Math.Min(roles.Count, 3 + target / 1500); // longer notes come from bigger meetings
        var used = new HashSet<string>(StringComparer.Ordinal);
        var names = new List<string>(attendees);
        for (int k = 0; k < attendees; k++)
        {
            names.Add(NewName(rng, used));
        }

        var sb = new StringBuilder();
        sb.Append(F($"Meeting notes: {project} weekly sync\nDate: {RandomDate(rng)}\nAttendees:\n"));
        for (int k = 0; k < attendees; k++)
        {
            sb.Append(F($"- {names[k]} ({roles[k]})\n"));
        }

        sb.Append("\nDiscussion:\n");
        const int ActionItemsLength = 150; // approximate size of the action items appended below
        do
        {
            string update = Pick(rng, MeetingUpdates).Replace("#", rng.Next(2, 40).ToString(Inv));
            sb.Append(F($"- {Pick(rng, names)} {update}\n"));
        }
        while (sb.Length + ActionItemsLength < target);

        sb.Append("\nAction items:");
        for (int k = 0; k < 2; k++)
        {
            sb.Append(F($"\n- {Pick(rng, names)} to {Pick(rng, MeetingActions)} by {Pick(rng, Days)}."));
        }

        int asked = rng.Next(attendees);
        return ("meeting-role", sb.ToString(), F($"According to the attendee list, what is {names[asked]}'s role?"), roles[asked]);
    }

    private static (string Task, string Doc, string Question, string Answer) Inventory(Random rng, int target)
    {
        var sb = new StringBuilder();
        sb.Append(F($"Stock report for warehouse WH-{rng.Next(10, 100)}, {RandomDate(rng)}\n\n| SKU | Item | Bin | On hand | Reserved |\n|---|---|---|---|---|"));
        var skus = new HashSet<string>(StringComparer.Ordinal);
        var rows = new List<(string Sku, int OnHand)>();
        do
        {
            string sku;
            do
            {
                sku = F($"{Pick(rng, SkuPrefixes)}-{rng.Next(1000, 10000)}");
            }
            while (!skus.Add(sku));

            string bin = BinLetters[rng.Next(BinLetters.Length)] + rng.Next(1, 40).ToString("D2", Inv);
            int onHand = rng.Next(0, 2500), reserved = rng.Next(0, 200);
            sb.Append(F($"\n| {sku} | {Pick(rng, Products)} | {bin} | {onHand} | {reserved} |"));
            rows.Add((sku, onHand));
        }
        while (rows.Count < 3 || sb.Length < target);

        var asked = rows[rng.Next(rows.Count)];
        return ("inventory-quantity", sb.ToString(), F($"How many units of SKU {asked.Sku} are on hand?"), asked.OnHand.ToString(Inv));
    }

    private static (string Task, string Doc, string Question, string Answer) StaffDirectory(Random rng, int target)
    {
        var sb = new StringBuilder();
        sb.Append(F($"{Pick(rng, Companies)} internal phone directory\n\nName | Department | Office | Extension"));
        var names = new HashSet<string>(StringComparer.Ordinal);
        var extensions = new HashSet<int>();
        var rows = new List<(string Name, int Extension)>();
        do
        {
            string name = NewName(rng, names);
            int extension;
            do
            {
                extension = rng.Next(2000, 9000);
            }
            while (!extensions.Add(extension));

            string office = F($"{Pick(rng, Buildings)} {rng.Next(1, 6)}.{rng.Next(1, 40):D2}");
            sb.Append(F($"\n{name} | {Pick(rng, Departments)} | {office} | {extension}"));
            rows.Add((name, extension));
        }
        while (rows.Count < 3 || sb.Length < target);

        var asked = rows[rng.Next(rows.Count)];
        return ("directory-extension", sb.ToString(), F($"What is the phone extension of {asked.Name}?"), asked.Extension.ToString(Inv));
    }

    private static string RandomDate(Random rng) =>
        F($"{rng.Next(2029, 2036)}-{rng.Next(1, 13):D2}-{rng.Next(1, 29):D2}");

    private static string Clock(string date, int seconds) =>
        F($"{date}T{seconds / 3600 % 24:D2}:{seconds / 60 % 60:D2}:{seconds % 60:D2}Z");

    /// <summary>A full name not in <paramref name="used"/>; adds it there.</summary>
    private static string NewName(Random rng, HashSet<string> used)
    {
        string name;
        do
        {
            name = FullName(rng);
        }
        while (!used.Add(name));

        return name;
    }
}
