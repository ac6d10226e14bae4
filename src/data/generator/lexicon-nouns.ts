// The generator's nouns: German lemma, gender, plural, English singular/plural, kind and tags.
//
// Row format: 'Lemma|gender|Plural|english|english plural|tag,tag'. Gender 'm*' marks a weak masculine noun
// (n-declension: der Junge, den/dem Jungen, plural Jungen). Mass nouns have '-' as plural and are used only
// with the definite article or with no article (Wasser, das Wasser, kein Wasser). Tags drive selectors
// (see lexicon-types.ts): #inside = "in + dative" location, #enter = "in + accusative" destination,
// #area = "durch + accusative", #surface = auf, #cover = unter, #landmark = neben/hinter/vor.
// #noposs: no possessive (seine Frau = his wife, not his woman).
// Every row was checked against a dictionary; words whose forms vary (Pizza, Papagei, Herr) are left out.

import type { Gender, Noun, NounKind } from './lexicon-types.ts';

const ROWS: Record<NounKind, readonly string[]> = {
  person: [
    'Mann|m|Männer|man|men|noposs', 'Frau|f|Frauen|woman|women|noposs', 'Kind|n|Kinder|child|children|',
    'Junge|m*|Jungen|boy|boys|', 'Mädchen|n|Mädchen|girl|girls|', 'Baby|n|Babys|baby|babies|',
    'Vater|m|Väter|father|fathers|', 'Mutter|f|Mütter|mother|mothers|',
    'Bruder|m|Brüder|brother|brothers|', 'Schwester|f|Schwestern|sister|sisters|',
    'Sohn|m|Söhne|son|sons|', 'Tochter|f|Töchter|daughter|daughters|',
    'Onkel|m|Onkel|uncle|uncles|', 'Tante|f|Tanten|aunt|aunts|',
    'Großvater|m|Großväter|grandfather|grandfathers|',
    'Großmutter|f|Großmütter|grandmother|grandmothers|',
    'Freund|m|Freunde|friend|friends|', 'Lehrer|m|Lehrer|teacher|teachers|',
    'Schüler|m|Schüler|pupil|pupils|', 'Student|m*|Studenten|student|students|',
    'Arzt|m|Ärzte|doctor|doctors|', 'Koch|m|Köche|cook|cooks|', 'Bäcker|m|Bäcker|baker|bakers|',
    'Fahrer|m|Fahrer|driver|drivers|', 'Kellner|m|Kellner|waiter|waiters|',
    'Kellnerin|f|Kellnerinnen|waitress|waitresses|', 'Gast|m|Gäste|guest|guests|',
    'König|m|Könige|king|kings|', 'Königin|f|Königinnen|queen|queens|', 'Prinz|m*|Prinzen|prince|princes|',
    'Prinzessin|f|Prinzessinnen|princess|princesses|', 'Nachbar|m*|Nachbarn|neighbor|neighbors|',
    'Kollege|m*|Kollegen|colleague|colleagues|', 'Kunde|m*|Kunden|customer|customers|',
    'Tourist|m*|Touristen|tourist|tourists|', 'Polizist|m*|Polizisten|police officer|police officers|',
    'Pilot|m*|Piloten|pilot|pilots|', 'Soldat|m*|Soldaten|soldier|soldiers|',
    'Maler|m|Maler|painter|painters|', 'Sänger|m|Sänger|singer|singers|', 'Dieb|m|Diebe|thief|thieves|',
    'Chef|m|Chefs|boss|bosses|',
  ],
  animal: [
    'Hund|m|Hunde|dog|dogs|legs,swim,bark,play', 'Katze|f|Katzen|cat|cats|legs,play',
    'Pferd|n|Pferde|horse|horses|legs', 'Vogel|m|Vögel|bird|birds|fly,catch',
    'Fisch|m|Fische|fish|fish|swim,catch', 'Maus|f|Mäuse|mouse|mice|legs,catch',
    'Kuh|f|Kühe|cow|cows|legs', 'Schwein|n|Schweine|pig|pigs|legs', 'Schaf|n|Schafe|sheep|sheep|legs',
    'Ziege|f|Ziegen|goat|goats|legs', 'Huhn|n|Hühner|chicken|chickens|legs',
    'Ente|f|Enten|duck|ducks|swim,fly', 'Löwe|m*|Löwen|lion|lions|legs,wild', 'Bär|m*|Bären|bear|bears|legs,wild,swim',
    'Affe|m*|Affen|monkey|monkeys|legs,wild,play', 'Hase|m*|Hasen|hare|hares|legs',
    'Elefant|m*|Elefanten|elephant|elephants|legs,wild', 'Kaninchen|n|Kaninchen|rabbit|rabbits|legs',
    'Tiger|m|Tiger|tiger|tigers|legs,wild', 'Wolf|m|Wölfe|wolf|wolves|legs,wild',
    'Fuchs|m|Füchse|fox|foxes|legs,wild', 'Frosch|m|Frösche|frog|frogs|swim',
    'Esel|m|Esel|donkey|donkeys|legs', 'Schlange|f|Schlangen|snake|snakes|wild', 'Biene|f|Bienen|bee|bees|fly',
    'Spinne|f|Spinnen|spider|spiders|', 'Eule|f|Eulen|owl|owls|fly', 'Igel|m|Igel|hedgehog|hedgehogs|legs',
    'Kamel|n|Kamele|camel|camels|legs', 'Zebra|n|Zebras|zebra|zebras|legs,wild',
    'Delfin|m|Delfine|dolphin|dolphins|swim,play', 'Ratte|f|Ratten|rat|rats|legs',
    'Hamster|m|Hamster|hamster|hamsters|legs', 'Käfer|m|Käfer|beetle|beetles|',
    'Pinguin|m|Pinguine|penguin|penguins|swim', 'Ameise|f|Ameisen|ant|ants|',
  ],
  thing: [
    'Buch|n|Bücher|book|books|read,open,close,carry,send', 'Brief|m|Briefe|letter|letters|read,write,open,send,long',
    'Zeitung|f|Zeitungen|newspaper|newspapers|read,carry', 'Heft|n|Hefte|notebook|notebooks|carry',
    'Stift|m|Stifte|pen|pens|tool,writetool', 'Schlüssel|m|Schlüssel|key|keys|tool',
    'Uhr|f|Uhren|clock|clocks|fix', 'Lampe|f|Lampen|lamp|lamps|fix', 'Kerze|f|Kerzen|candle|candles|',
    'Tasse|f|Tassen|cup|cups|container,dish', 'Glas|n|Gläser|glass|glasses|container,dish',
    'Teller|m|Teller|plate|plates|dish', 'Flasche|f|Flaschen|bottle|bottles|container,open,close',
    'Messer|n|Messer|knife|knives|tool,dish,knife', 'Gabel|f|Gabeln|fork|forks|tool,dish,cutlery',
    'Löffel|m|Löffel|spoon|spoons|tool,dish,cutlery', 'Hut|m|Hüte|hat|hats|wear',
    'Mantel|m|Mäntel|coat|coats|wear,long', 'Jacke|f|Jacken|jacket|jackets|wear', 'Hemd|n|Hemden|shirt|shirts|wear',
    'Schuh|m|Schuhe|shoe|shoes|wear,clean', 'Kleid|n|Kleider|dress|dresses|wear,long',
    'Rock|m|Röcke|skirt|skirts|wear,long', 'Bild|n|Bilder|picture|pictures|picture',
    'Foto|n|Fotos|photo|photos|picture,send', 'Geschenk|n|Geschenke|gift|gifts|open,send,carry',
    'Spiel|n|Spiele|game|games|game', 'Puppe|f|Puppen|doll|dolls|toy', 'Ball|m|Bälle|ball|balls|toy,throw,catch',
    'Computer|m|Computer|computer|computers|tool,writetool,fix', 'Telefon|n|Telefone|phone|phones|tool,fix',
    'Kamera|f|Kameras|camera|cameras|tool,fix',
    'Koffer|m|Koffer|suitcase|suitcases|container,open,close,carry,push',
    'Tasche|f|Taschen|bag|bags|container,open,close,carry',
    'Kiste|f|Kisten|box|boxes|container,open,close,carry,push',
    'Regenschirm|m|Regenschirme|umbrella|umbrellas|tool,carry', 'Stein|m|Steine|stone|stones|throw',
    'Ring|m|Ringe|ring|rings|', 'Spiegel|m|Spiegel|mirror|mirrors|clean', 'Kissen|n|Kissen|pillow|pillows|soft',
    'Decke|f|Decken|blanket|blankets|soft', 'Knochen|m|Knochen|bone|bones|',
    'Blume|f|Blumen|flower|flowers|plant',
    'Tisch|m|Tische|table|tables|surface,cover,landmark,furniture,push,build,clean',
    'Stuhl|m|Stühle|chair|chairs|surface,cover,furniture,carry,push,build,fix',
    'Bett|n|Betten|bed|beds|surface,cover,furniture,soft', 'Sofa|n|Sofas|sofa|sofas|surface,cover,landmark,furniture,soft',
    'Schrank|m|Schränke|cupboard|cupboards|landmark,furniture,open,close',
    'Teppich|m|Teppiche|carpet|carpets|surface,clean',
  ],
  fixture: [
    'Tür|f|Türen|door|doors|open,close,landmark,clean', 'Fenster|n|Fenster|window|windows|open,close,landmark,clean',
    'Dach|n|Dächer|roof|roofs|surface,fix', 'Boden|m|Böden|floor|floors|surface,clean',
    'Baum|m|Bäume|tree|trees|cover,landmark,plant', 'Brücke|f|Brücken|bridge|bridges|cover,build,long',
  ],
  info: [
    'Geschichte|f|Geschichten|story|stories|read,write,tell,long', 'Lied|n|Lieder|song|songs|song,write,long',
    'Witz|m|Witze|joke|jokes|tell', 'Frage|f|Fragen|question|questions|info',
    'Antwort|f|Antworten|answer|answers|info,write', 'Idee|f|Ideen|idea|ideas|info',
  ],
  vehicle: [
    'Auto|n|Autos|car|cars|clean,fix,push', 'Fahrrad|n|Fahrräder|bicycle|bicycles|fix,push',
    'Motorrad|n|Motorräder|motorcycle|motorcycles|fix,push', 'Bus|m|Busse|bus|buses|transport',
    'Zug|m|Züge|train|trains|long,transport', 'Schiff|n|Schiffe|ship|ships|build,transport',
    'Boot|n|Boote|boat|boats|build', 'Flugzeug|n|Flugzeuge|plane|planes|transport',
    'Taxi|n|Taxis|taxi|taxis|transport', 'Traktor|m|Traktoren|tractor|tractors|fix',
  ],
  food: [
    'Apfel|m|Äpfel|apple|apples|fruit,throw,cut', 'Banane|f|Bananen|banana|bananas|fruit',
    'Birne|f|Birnen|pear|pears|fruit,cut', 'Orange|f|Orangen|orange|oranges|fruit,cut',
    'Zitrone|f|Zitronen|lemon|lemons|fruit,cut', 'Kirsche|f|Kirschen|cherry|cherries|fruit',
    'Erdbeere|f|Erdbeeren|strawberry|strawberries|fruit', 'Tomate|f|Tomaten|tomato|tomatoes|veg,cut',
    'Kartoffel|f|Kartoffeln|potato|potatoes|veg,cook,cut', 'Karotte|f|Karotten|carrot|carrots|veg,cook,cut',
    'Zwiebel|f|Zwiebeln|onion|onions|veg,cut', 'Gurke|f|Gurken|cucumber|cucumbers|veg,cut',
    'Ei|n|Eier|egg|eggs|cook', 'Kuchen|m|Kuchen|cake|cakes|sweet,cut', 'Keks|m|Kekse|cookie|cookies|sweet',
    'Wurst|f|Würste|sausage|sausages|cook,cut', 'Salat|m|Salate|salad|salads|', 'Nuss|f|Nüsse|nut|nuts|',
  ],
  mass: [
    'Wasser|n|-|water|-|drink,hot,grocery', 'Milch|f|-|milk|-|drink,fresh,hot,grocery',
    'Kaffee|m|-|coffee|-|drink,hot,grocery', 'Tee|m|-|tea|-|drink,hot,grocery',
    'Saft|m|-|juice|-|drink,fresh,grocery', 'Suppe|f|-|soup|-|food,hot,cook,grocery',
    'Brot|n|-|bread|-|food,fresh,cut,grocery', 'Reis|m|-|rice|-|food,cook,grocery',
    'Käse|m|-|cheese|-|food,fresh,cut,grocery', 'Fleisch|n|-|meat|-|food,fresh,cook,cut,grocery',
    'Schokolade|f|-|chocolate|-|food,sweet,grocery', 'Honig|m|-|honey|-|food,sweet,grocery',
    'Zucker|m|-|sugar|-|grocery', 'Butter|f|-|butter|-|food,grocery', 'Geld|n|-|money|-|money',
    'Musik|f|-|music|-|music',
  ],
  place: [
    'Garten|m|Gärten|garden|gardens|inside,enter,area', 'Park|m|Parks|park|parks|inside,enter,area,visit',
    'Wald|m|Wälder|forest|forests|inside,enter,area,drive', 'Hof|m|Höfe|yard|yards|inside,enter',
    'Zoo|m|Zoos|zoo|zoos|inside,enter,area,visit',
    'Stadt|f|Städte|city|cities|inside,enter,area,dwelling,visit,drive,arrive',
    'Dorf|n|Dörfer|village|villages|inside,enter,area,dwelling,visit,drive,arrive',
    'Markt|m|Märkte|market|markets|visit',
    'Haus|n|Häuser|house|houses|inside,enter,dwelling,landmark,build,clean',
    'Wohnung|f|Wohnungen|apartment|apartments|inside,enter,dwelling,room,clean',
    'Küche|f|Küchen|kitchen|kitchens|inside,enter,room,clean', 'Zimmer|n|Zimmer|room|rooms|inside,enter,room,clean',
    'Bad|n|Bäder|bathroom|bathrooms|inside,enter,room,clean', 'Keller|m|Keller|basement|basements|inside,enter,room',
    'Büro|n|Büros|office|offices|inside,enter,room,clean', 'Schule|f|Schulen|school|schools|inside,landmark,building',
    'Hotel|n|Hotels|hotel|hotels|inside,enter,dwelling,building',
    'Restaurant|n|Restaurants|restaurant|restaurants|inside,enter,building',
    'Kino|n|Kinos|cinema|cinemas|inside,building', 'Bibliothek|f|Bibliotheken|library|libraries|inside,enter,building',
    'Laden|m|Läden|shop|shops|inside,enter,building',
    'Kirche|f|Kirchen|church|churches|inside,landmark,building,visit',
    'Bahnhof|m|Bahnhöfe|station|stations|inside,landmark,building',
    'Museum|n|Museen|museum|museums|inside,enter,building,visit', 'Krankenhaus|n|Krankenhäuser|hospital|hospitals|inside,building',
    'Supermarkt|m|Supermärkte|supermarket|supermarkets|inside,enter,building',
    'Schloss|n|Schlösser|castle|castles|inside,dwelling,building,visit,build',
    'Theater|n|Theater|theater|theaters|inside,building', 'Stall|m|Ställe|stable|stables|inside,enter,building',
    'Turm|m|Türme|tower|towers|landmark,build,building', 'See|m|Seen|lake|lakes|water',
    'Fluss|m|Flüsse|river|rivers|water,long', 'Meer|n|Meere|sea|seas|water',
  ],
};

function parseRow(kind: NounKind, row: string): Noun {
  const [de, g, plural, en, enPlural, tags] = row.split('|');
  const mass = plural === '-';
  return {
    de,
    gender: g[0] as Gender,
    plural: mass ? null : plural,
    weak: g.endsWith('*'),
    en,
    enPlural: mass ? null : enPlural,
    kind,
    tags: tags ? tags.split(',') : [],
  };
}

export const NOUNS: readonly Noun[] = Object.entries(ROWS).flatMap(([kind, rows]) =>
  rows.map((row) => parseRow(kind as NounKind, row)),
);
