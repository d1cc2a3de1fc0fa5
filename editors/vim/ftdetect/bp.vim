" bpc: .bp processes and .scn scenarios
autocmd BufRead,BufNewFile *.bp setfiletype bp
autocmd BufRead,BufNewFile *.scn setfiletype scn
