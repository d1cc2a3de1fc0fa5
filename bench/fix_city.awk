# fix_city.awk — the peer of the `mass` measure (bench/mass.sh, bench/run.sh): the edit
# samples/fix_city.bp (S15) makes, as one awk pass over the generated contacts. Row lines
# are "NAME",CITY,PREFIX-NUMBER with a quoted NAME: the city and contract are the last two
# fields. Its output must be the same bytes as `bprun mass`'s (both scripts compare them).
NR == 1 { print $0 ",status,message"; next }
{
  n = split($0, f, ",")
  city = f[n - 1]
  if (city == "Моква" || city == "Мсква" || city == "Масква" || city == "москва") city = "Москва"
  contract = f[n]
  if (contract ~ /^(Дизрем|Дезерм|дезрем)/) contract = "Дезрем" substr(contract, length("Дезрем") + 1)
  line = f[1]
  for (i = 2; i < n - 1; i++) line = line "," f[i]
  print line "," city "," contract ",completed,"
}
