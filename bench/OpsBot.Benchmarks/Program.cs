using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(OpsBot.Benchmarks.CardExpansionBenchmark).Assembly).Run(args);
