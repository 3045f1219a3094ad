"""A few programs in every language the code runner offers, by its name there: `hello` prints
"hello, world", `echo` copies stdin upper-cased, `fail` exits with status 3, `broken` does not
compile. A language without a program for something it can do simply has no entry for it; a
language without `hello` fails tests/tasks/api/test_code.py's completeness check."""

C = {
    "hello": '#include <stdio.h>\nint main(void){puts("hello, world");return 0;}',
    "echo": "#include <stdio.h>\n#include <ctype.h>\n"
    "int main(void){int c;while((c=getchar())!=EOF)putchar(toupper(c));}",
    "fail": "int main(void){return 3;}",
    "broken": "int main(void){ return x; }",
}
CPP = {
    "hello": '#include <iostream>\nint main(){std::cout<<"hello, world"<<std::endl;}',
    "echo": "#include <iostream>\n#include <cctype>\n"
    "int main(){char c;while(std::cin.get(c))std::cout<<(char)std::toupper(c);}",
    "fail": "int main(){return 3;}",
    "broken": "int main(){ std::vector<int> v; }",
}
ASSEMBLY_EXIT = "section .text\nglobal _start\n_start:\n    mov rax, 60\n    mov rdi, {code}\n    syscall\n"
COBOL_HEAD = "IDENTIFICATION DIVISION.\nPROGRAM-ID. MAIN.\n"

PROGRAMS: dict[str, dict[str, str]] = {
    "python": {
        "hello": 'print("hello, world")',
        "echo": "import sys\nsys.stdout.write(sys.stdin.read().upper())",
        "fail": "import sys\nsys.exit(3)",
    },
    "c": C,
    "cpp": CPP,
    "c-clang": C,
    "cpp-clang": CPP,
    "bash": {"hello": 'echo "hello, world"', "echo": "tr a-z A-Z", "fail": "exit 3"},
    "java": {
        "hello": 'public class Main { public static void main(String[] a) { System.out.println("hello, world"); } }',
        "echo": "public class Main { public static void main(String[] a) throws Exception {\n"
        '  System.out.print(new String(System.in.readAllBytes(), "UTF-8").toUpperCase()); } }',
        "fail": "public class Main { public static void main(String[] a) { System.exit(3); } }",
        "broken": "public class Main { public static void main(String[] a) { int x = ; } }",
    },
    "javascript": {
        "hello": 'console.log("hello, world")',
        "echo": 'process.stdout.write(require("fs").readFileSync(0, "utf8").toUpperCase())',
        "fail": "process.exit(3)",
    },
    "typescript": {
        "hello": 'const greeting: string = "hello, world";\nconsole.log(greeting);',
        "echo": "declare const require: any;\ndeclare const process: any;\n"
        'process.stdout.write(require("fs").readFileSync(0, "utf8").toUpperCase());',
        "fail": "declare const process: { exit(code: number): never };\nprocess.exit(3);",
        "broken": 'const x: number = "text";',
    },
    "go": {
        "hello": 'package main\nimport "fmt"\nfunc main() { fmt.Println("hello, world") }',
        "echo": 'package main\nimport (\n"io"\n"os"\n"strings"\n)\n'
        "func main() { b, _ := io.ReadAll(os.Stdin); os.Stdout.WriteString(strings.ToUpper(string(b))) }",
        "fail": 'package main\nimport "os"\nfunc main() { os.Exit(3) }',
        "broken": "package main\nfunc main() { x := }",
    },
    "rust": {
        "hello": 'fn main() { println!("hello, world"); }',
        "echo": "use std::io::Read;\nfn main() { let mut s = String::new(); "
        'std::io::stdin().read_to_string(&mut s).unwrap(); print!("{}", s.to_uppercase()); }',
        "fail": "fn main() { std::process::exit(3); }",
        "broken": 'fn main() { let x: i32 = "a"; }',
    },
    "ruby": {"hello": 'puts "hello, world"', "echo": "print STDIN.read.upcase", "fail": "exit 3"},
    "php": {
        "hello": '<?php echo "hello, world\\n";',
        "echo": "<?php echo strtoupper(stream_get_contents(STDIN));",
        "fail": "<?php exit(3);",
    },
    "perl": {"hello": 'print "hello, world\\n";', "echo": "print uc while <STDIN>;", "fail": "exit 3;"},
    "lua": {"hello": 'print("hello, world")', "echo": 'io.write(io.read("a"):upper())', "fail": "os.exit(3)"},
    "sqlite": {"hello": "SELECT 'hello, world';"},
    "fortran": {
        "hello": "program hello\n  print '(a)', 'hello, world'\nend program hello",
        "echo": "program echo\n  character(len=1000) :: line\n  integer :: i, ios\n  do\n"
        "    read(*, '(a)', iostat=ios) line\n    if (ios /= 0) exit\n    do i = 1, len_trim(line)\n"
        "      if (line(i:i) >= 'a' .and. line(i:i) <= 'z') line(i:i) = achar(iachar(line(i:i)) - 32)\n"
        "    end do\n    print '(a)', trim(line)\n  end do\nend program echo",
        "fail": "program fail\n  stop 3\nend program fail",
        "broken": "program broken\n  x = \nend program broken",
    },
    "pascal": {
        "hello": "begin\n  writeln('hello, world');\nend.",
        "echo": "var s: string;\nbegin\n  while not eof do begin readln(s); writeln(upcase(s)); end;\nend.",
        "fail": "begin\n  halt(3);\nend.",
        "broken": "begin\n  x := ;\nend.",
    },
    "assembly": {
        "hello": 'section .data\nmsg db "hello, world", 10\nsection .text\nglobal _start\n_start:\n'
        "    mov rax, 1\n    mov rdi, 1\n    mov rsi, msg\n    mov rdx, 13\n    syscall\n"
        "    mov rax, 60\n    xor rdi, rdi\n    syscall\n",
        "fail": ASSEMBLY_EXIT.format(code=3),
        "broken": "section .text\n_start:\n    mov rax,\n",
    },
    "d": {
        "hello": 'import std.stdio;\nvoid main() { writeln("hello, world"); }',
        "echo": "import std.stdio, std.uni;\n"
        "void main() { foreach (line; stdin.byLine(KeepTerminator.yes)) write(toUpper(line)); }",
        "fail": "int main() { return 3; }",
        "broken": "void main() { int x = ; }",
    },
    "ocaml": {
        "hello": 'print_endline "hello, world"',
        "echo": "let () = try while true do print_endline (String.uppercase_ascii (input_line stdin)) done\n"
        "  with End_of_file -> ()",
        "fail": "exit 3",
        "broken": "let x = in x",
    },
    "commonlisp": {
        "hello": '(write-line "hello, world")',
        "echo": "(loop for line = (read-line *standard-input* nil) while line do (write-line (string-upcase line)))",
        "fail": "(sb-ext:exit :code 3)",
    },
    "prolog": {
        "hello": ":- initialization(main).\nmain :- write('hello, world'), nl, halt.",
        "echo": ":- initialization(main).\n"
        "main :- get_char(C), ( C == end_of_file -> halt ; lower_upper(C, U), put_char(U), main ).",
        "fail": ":- initialization(main).\nmain :- halt(3).",
        "broken": "main :- write(.",
    },
    "erlang": {
        "hello": 'main(_) -> io:format("hello, world~n").',
        "echo": "main(_) -> loop().\n"
        'loop() -> case io:get_line("") of eof -> ok; Line -> io:put_chars(string:uppercase(Line)), loop() end.',
        "fail": "main(_) -> halt(3).",
    },
    "elixir": {
        "hello": 'IO.puts "hello, world"',
        "echo": "IO.read(:stdio, :eof) |> String.upcase() |> IO.write()",
        "fail": "System.halt(3)",
    },
    "cobol": {
        "hello": COBOL_HEAD + 'PROCEDURE DIVISION.\n    DISPLAY "hello, world".\n    STOP RUN.\n',
        "echo": COBOL_HEAD + "DATA DIVISION.\nWORKING-STORAGE SECTION.\n01 LINE-IN PIC X(200).\n"
        "01 AT-END PIC X VALUE 'N'.\nPROCEDURE DIVISION.\n    PERFORM UNTIL AT-END = 'Y'\n"
        "        ACCEPT LINE-IN ON EXCEPTION MOVE 'Y' TO AT-END\n"
        "        NOT ON EXCEPTION DISPLAY FUNCTION UPPER-CASE(FUNCTION TRIM(LINE-IN TRAILING))\n"
        "        END-ACCEPT\n    END-PERFORM.\n    STOP RUN.\n",
        "fail": COBOL_HEAD + "PROCEDURE DIVISION.\n    MOVE 3 TO RETURN-CODE.\n    STOP RUN.\n",
        "broken": COBOL_HEAD + "PROCEDURE DIVISION.\n    DISPLAY.\n",
    },
    "csharp": {
        "hello": 'class Program { static void Main() { System.Console.WriteLine("hello, world"); } }',
        "echo": "class Program { static void Main() {\n"
        "  System.Console.Write(System.Console.In.ReadToEnd().ToUpper()); } }",
        "fail": "class Program { static int Main() { return 3; } }",
        "broken": "class Program { static void Main() { int x = ; } }",
    },
    "haskell": {
        "hello": 'main = putStrLn "hello, world"',
        "echo": "import Data.Char (toUpper)\nmain = interact (map toUpper)",
        "fail": "import System.Exit\nmain = exitWith (ExitFailure 3)",
        "broken": "main = putStrLn (1 +)",
    },
    "kotlin": {
        "hello": 'fun main() { println("hello, world") }',
        "echo": 'fun main() { print(generateSequence(::readLine).joinToString("\\n", postfix = "\\n").toUpperCase()) }',
        "fail": "import kotlin.system.exitProcess\nfun main() { exitProcess(3) }",
        "broken": "fun main() { val x: Int = }",
    },
    "scala": {
        "hello": 'object Main { def main(args: Array[String]): Unit = println("hello, world") }',
        "echo": "object Main { def main(args: Array[String]): Unit =\n"
        "  print(scala.io.Source.stdin.mkString.toUpperCase) }",
        "fail": "object Main { def main(args: Array[String]): Unit = sys.exit(3) }",
        "broken": "object Main { def main(args: Array[String]): Unit = { val x: Int = } }",
    },
    "groovy": {
        "hello": 'println "hello, world"',
        "echo": "print System.in.text.toUpperCase()",
        "fail": "System.exit(3)",
    },
    "clojure": {
        "hello": '(println "hello, world")',
        "echo": "(print (clojure.string/upper-case (slurp *in*)))\n(flush)",
        "fail": "(System/exit 3)",
    },
    "r": {
        "hello": 'cat("hello, world\\n")',
        "echo": 'cat(toupper(readLines(file("stdin"))), sep = "\\n")',  # a newline in sep ends each line
        "fail": "quit(status = 3)",
    },
    "octave": {
        "hello": 'printf("hello, world\\n");',
        "echo": "printf('%s', upper(fread(stdin, Inf, 'char=>char')'));",
        "fail": "exit(3);",
    },
    "objectivec": {
        "hello": "#import <Foundation/Foundation.h>\nint main(void) {\n"
        "  NSAutoreleasePool *pool = [[NSAutoreleasePool alloc] init];\n"
        '  printf("%s\\n", [@"hello, world" UTF8String]);\n  [pool drain];\n  return 0;\n}',
        "fail": "int main(void) { return 3; }",
        "broken": "int main(void) { return x; }",
    },
    "multifile": {"hello": 'echo "hello, world"', "echo": "tr a-z A-Z", "fail": "exit 3"},  # the `run` script
    "executable": {  # any program the kernel runs: a script with its #! line is one
        "hello": "#!/bin/sh\necho 'hello, world'",
        "echo": "#!/bin/sh\ntr a-z A-Z",
        "fail": "#!/bin/sh\nexit 3",
    },
    "plaintext": {"hello": "hello, world\n"},
}
