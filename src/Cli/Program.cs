Console.WriteLine("cps");
