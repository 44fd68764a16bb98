"""Built-in given and family names, weighted so common names are common.

Lists are ordered roughly by frequency; `_zipf` turns the order into weights. An
underscore in a family name stands for a space ("De_Silva" -> "De Silva").
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

_FEMALE = """
Olivia Charlotte Amelia Isla Mia Ava Grace Chloe Sophie Emily Ella Ruby Lily Zoe Sienna
Harper Matilda Evie Willow Isabella Hannah Emma Sarah Jessica Rebecca Laura Rachel Michelle
Nicole Melissa Amanda Kate Katherine Catherine Elizabeth Margaret Patricia Susan Jennifer Linda
Barbara Helen Karen Deborah Julie Lisa Kylie Tracey Natalie Danielle Stephanie Samantha
Victoria Alexandra Jacqueline Christine Louise Megan Amy Lauren Georgia Madison Abigail Alice
Eleanor Frances Dorothy Joan Judith Valerie Heather Wendy Sandra Carol Pamela Angela Andrea
Joanne Kimberley Courtney Brooke Tayla Jasmine Leah Holly Annabelle Scarlett Poppy Ivy Aria
Layla Fatima Aisha Mariam Zainab Priya Ananya Aanya Divya Deepika Sunita Mei Xin Jing Yan Ling
Hui Linh Thao Ngoc Mai Huong Trang Min-ji Seo-yeon Ji-woo Yuki Sakura Maria María Sofía Lucía
Valentina Giulia Francesca Chiara Eleni Despina Katerina Anastasia Aroha Mere Anahera Zoë
Chloé Renée Céline Hélène Inès Noémie Ingrid Astrid Mary-Jane Anne-Marie Siobhan Aoife Niamh
Bronwyn Sharon Beverley Gail Rhonda Leanne Narelle Tamara Bianca Gabrielle Isabel Nina Tara
Naomi Esther Ruth Miriam Rose Daisy Jade Penelope Harriet Josephine Vivian Theresa Monica
Veronica Diana Fiona Kirsty Lorraine Olga Irina Agnieszka Małgorzata Björk Freya Maeve Imogen
Phoebe Stella Hazel Violet Audrey
"""

_MALE = """
Oliver Jack William Noah Thomas James Lucas Henry Leo Charlie Ethan Liam Mason Hudson Harrison
Archie Lachlan Cooper Max Samuel Benjamin Joshua Daniel Matthew Andrew David Michael
Christopher Robert John Richard Peter Paul Mark Stephen Anthony Timothy Nicholas Jonathan
Alexander Edward Patrick Joseph Christian Nathan Ryan Adam Luke Jacob Dylan Tyler Brendan
Shane Wayne Craig Darren Brett Glenn Gregory Kenneth Ronald Donald Raymond Gary Keith Trevor
Graham Kevin Ian Neil Colin Barry Geoffrey Bruce Malcolm Douglas Stuart Rhys Angus Hamish
Callum Declan Ronan Sean Mohammed Ahmed Omar Ali Hassan Yusuf Ibrahim Karim Arjun Aarav Rohan
Vikram Rahul Sanjay Amit Raj Wei Jun Hao Ming Jian Lei Tao Minh Tuan Duc Quang Huy Min-jun
Seo-jun Hiroshi Kenji José Juan Carlos Luis Mateo Diego Marco Luca Giuseppe Antonio Francesco
Dimitri Nikolaos Georgios Konstantinos Yiannis Tama Wiremu Rawiri André Jérôme François
Jürgen Søren Björn Mikael Lars Cormac Eoin Tomás Seamus Aaron Isaac Elijah Gabriel Zachary
Caleb Jake Kieran Mitchell Bradley Scott Jason Justin Troy Dean Phillip Frederick Albert
Arthur Harold Walter Leonard Stanley Francis Theodore Vincent Lawrence Jeremy Simon Russell
Clive Desmond Terence Dennis Gerald Alan Sebastian Dominic Hugo Felix Oscar Jasper Finn
"""

_UNISEX = """
Alex Sam Jordan Riley Jamie Taylor Casey Quinn Rowan Morgan Kai Ari Jesse Robin Sasha Eden
Hayden Skyler Ashley Frankie
"""

_FAMILY = """
Smith Jones Williams Brown Wilson Taylor Johnson White Martin Anderson Thompson Nguyen Thomas
Walker Harris Lee Ryan Robinson Kelly King Davis Wright Evans Roberts Green Hall Wood Jackson
Clarke Patel Khan Lewis James Phillips Mitchell Turner Campbell Scott Edwards Young Hughes
Murphy Cooper Stewart Baker Wang Li Zhang Chen Liu Tran Le Pham Huynh Singh Kaur Sharma
Morris Ward Bell Harrison Morgan Adams Clark Allen Cook Kennedy Hill Watson Carter Moore
Richardson Parker Collins Bennett Cox Graham Davies Russell Gray Hunt Stevens Shaw Wallace
Murray Marshall Ross Lloyd Ellis Reid Fraser Hamilton Simpson Bailey Chapman Webb Mason
Kerr Sullivan Walsh Dunn Byrne Brennan O'Brien O'Connor O'Neill O'Sullivan McDonald
MacDonald McKenzie McLean McGregor Gallagher Doyle Quinn Fitzgerald Burke Lynch Nolan Power
Howard Palmer Price Bryant Hayes Gibson Ford Fox Grant Knight Lane Long Mills Owen Payne Porter
Reynolds Rogers Spencer Stone Sutton Tucker Warren Watts Wells West Wheeler Woods Barnes Black
Booth Brooks Burns Butler Cameron Chambers Cole Curtis Day Dixon Douglas Elliott Ferguson
Fisher Fleming Foster Gardner Gordon Hart Hawkins Henderson Holmes Hudson Hunter Jenkins
Johnston Kemp Lawrence Lawson Matthews Mills Morrison Newman Nicholson Norris Parsons Pearce
Perry Pope Rees Rose Saunders Sharp Simmons Stephens Stevenson Thomson Tyler Vaughan Walters
Webster Wilkinson Willis Woodward Yates Wu Huang Zhao Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo
Gao Zheng Liang Xie Tang Han Feng Deng Cao Peng Zeng Lu Cheung Chan Wong Leung Lam Ho Ng Yip
Tan Lim Teo Goh Ong Koh Vo Dang Bui Do Ngo Duong Ly Dinh Truong Phan Hoang Kumar Gupta Reddy
Rao Iyer Nair Menon Pillai Desai Shah Mehta Joshi Chopra Malhotra Kapoor Bhatia Chaudhry
Verma Agarwal Das Bose Banerjee Mukherjee Chatterjee Sandhu Gill Dhillon Grewal Sidhu
Hussain Ahmed Ali Rahman Qureshi Siddiqui Malik Haddad Khoury Nassar Saleh Haddad Mansour
Karam Abboud Hanna Chahine Farah Aziz Ibrahim Yousef Hassan Kaya Yilmaz Demir Celik
Papadopoulos Georgiou Nikolaou Dimitriou Konstantinou Papadakis Christodoulou Antoniou
Vlahos Kostas Alexiou Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco
Bruno Gallo Conti De_Luca Costa Giordano Mancini Rizzo Lombardi Moretti Barbieri Fontana
Santoro Mariani Rinaldi Caruso Ferrara Martini Leone Longo Gentile Martinelli Vitale
Lombardo Serra Coppola De_Santis D'Angelo Marchetti Parisi Villa Conte Ferraro Fabbri
Silvestri Pellegrini Caputo Morelli Amato García González Rodríguez Fernández López Martínez
Sánchez Pérez Gómez Díaz Hernández Muñoz Álvarez Romero Navarro Torres Domínguez Ramos
Gil Ramírez Serrano Molina Castro Ortiz Rubio Marín Sanz Núñez Iglesias Medina Garrido
Santos Castillo Cortés Lozano Guerrero Cano Prieto Méndez Silva Pereira Oliveira Souza
Ferreira Alves Carvalho Rocha Almeida Ribeiro Gomes Martins Lopes Müller Schmidt Schneider
Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter Klein Wolf
Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner
Krause Meier Lehmann Köhler Jensen Nielsen Hansen Pedersen Andersen Larsen Sørensen
Rasmussen Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Lindqvist Virtanen
Korhonen Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński
Szymański Woźniak Dąbrowski Ivanov Petrov Smirnov Popov Sokolov Novak Horvat Kovačević
Babić Marić Jurić Petrović Jovanović Nikolić Dubois Durand Lefebvre Moreau Laurent
Simon Michel Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine
Rousseau Vincent Muller Faure André Mercier Blanc Guerin Boyer Garnier Chevalier François
Legrand Gauthier Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Masson Marchand
Duval Denis Lemaire Van_der_Berg Van_Dijk De_Jong Jansen De_Vries Bakker Visser Smit Meijer
Mulder De_Boer Bos Vos Peters Hendriks Dekker Kim Park Choi Jung Kang Cho Yoon Jang Lim Han
Shin Seo Kwon Hwang Ahn Song Yoo Hong Tanaka Suzuki Takahashi Watanabe Ito Yamamoto Nakamura
Kobayashi Sato Kato Yoshida Yamada Sasaki Reyes Cruz Bautista Ocampo Mendoza Aquino
Villanueva Dela_Cruz Santiago Fernando Perera De_Silva Jayasinghe Wickramasinghe
Bandara Ngata Parata Tipene Henare Walker-Smith Jones-Evans Ngāta Taufa Fifita Tuilagi
Leota Faleolo Mahmoud Darwish Habib Sabbagh
"""

NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby", "Robbie"),
    "William": ("Will", "Bill", "Billy", "Liam"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "John": ("Jack", "Johnny"),
    "Michael": ("Mike", "Mick", "Mikey"),
    "Elizabeth": ("Liz", "Beth", "Lizzie", "Eliza", "Betty"),
    "Katherine": ("Kate", "Kath", "Katie", "Kathy"),
    "Catherine": ("Cathy", "Cate", "Kate"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Patricia": ("Trish", "Pat", "Patty"),
    "Jennifer": ("Jen", "Jenny"),
    "Victoria": ("Vicky", "Tori"),
    "Alexandra": ("Alex", "Lexi", "Sandra"),
    "Alexander": ("Alex", "Xander", "Sandy"),
    "Rebecca": ("Bec", "Becky"),
    "Samantha": ("Sam", "Sammy"),
    "Samuel": ("Sam", "Sammy"),
    "Jessica": ("Jess", "Jessie"),
    "Christine": ("Chris", "Chrissy"),
    "Christopher": ("Chris", "Topher"),
    "Deborah": ("Deb", "Debbie"),
    "Susan": ("Sue", "Suzie"),
    "Barbara": ("Barb",),
    "Kimberley": ("Kim",),
    "Abigail": ("Abby",),
    "Isabella": ("Bella", "Izzy"),
    "Josephine": ("Jo", "Josie"),
    "Theresa": ("Tess", "Terri"),
    "Penelope": ("Penny",),
    "Jacqueline": ("Jackie",),
    "Gabrielle": ("Gabby",),
    "Stephanie": ("Steph",),
    "Natalie": ("Nat",),
    "Amanda": ("Mandy",),
    "Eleanor": ("Ellie", "Nell"),
    "Frances": ("Fran",),
    "Dorothy": ("Dot",),
    "Valerie": ("Val",),
    "Judith": ("Judy",),
    "Pamela": ("Pam",),
    "Angela": ("Angie",),
    "Danielle": ("Dani",),
    "Annabelle": ("Annie",),
    "Matilda": ("Tilly",),
    "Charlotte": ("Charlie", "Lottie"),
    "Olivia": ("Liv",),
    "Harriet": ("Hattie",),
    "Veronica": ("Ronnie",),
    "Anastasia": ("Stacey", "Ana"),
    "Francesca": ("Fran", "Frankie"),
    "Katerina": ("Kat",),
    "Valentina": ("Val",),
    "Bronwyn": ("Bron",),
    "Richard": ("Rick", "Rich", "Richie"),
    "Peter": ("Pete",),
    "Stephen": ("Steve",),
    "Anthony": ("Tony", "Ant"),
    "Timothy": ("Tim",),
    "Nicholas": ("Nick",),
    "Jonathan": ("Jon",),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Patrick": ("Pat", "Paddy"),
    "Joseph": ("Joe",),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Andrew": ("Andy", "Drew"),
    "David": ("Dave",),
    "Benjamin": ("Ben",),
    "Joshua": ("Josh",),
    "Thomas": ("Tom", "Tommy"),
    "Gregory": ("Greg",),
    "Kenneth": ("Ken",),
    "Ronald": ("Ron",),
    "Donald": ("Don",),
    "Raymond": ("Ray",),
    "Geoffrey": ("Geoff",),
    "Douglas": ("Doug",),
    "Zachary": ("Zac", "Zach"),
    "Frederick": ("Fred",),
    "Albert": ("Bert",),
    "Harold": ("Harry",),
    "Henry": ("Harry", "Hal"),
    "Harrison": ("Harry",),
    "Leonard": ("Len", "Leo"),
    "Francis": ("Frank",),
    "Theodore": ("Theo", "Ted"),
    "Vincent": ("Vince",),
    "Lawrence": ("Larry",),
    "Terence": ("Terry",),
    "Gerald": ("Gerry",),
    "Phillip": ("Phil",),
    "Mitchell": ("Mitch",),
    "Bradley": ("Brad",),
    "Nathan": ("Nate",),
    "Jacob": ("Jake",),
    "Gabriel": ("Gabe",),
    "Giuseppe": ("Joe", "Beppe"),
    "Konstantinos": ("Con", "Costa"),
    "Georgios": ("George",),
    "Nikolaos": ("Nick",),
    "Dimitri": ("Jim", "Jimmy"),
    "Yiannis": ("John",),
    "Mohammed": ("Mo",),
    "José": ("Pepe",),
    "Antonio": ("Tony",),
    "Alan": ("Al",),
    "Malcolm": ("Mal",),
    "Lachlan": ("Lachie", "Lockie"),
    "Sebastian": ("Seb",),
    "Dominic": ("Dom",),
    "Christian": ("Chris",),
}
"""Formal given name -> short forms people go by. The matcher should learn these too."""


def _tokens(text: str) -> list[str]:
    return list(dict.fromkeys(t.replace("_", " ") for t in text.split()))


def _zipf(n: int, skew: float = 0.8, flat: float = 8.0) -> list[float]:
    """Cumulative weights that fall off with list position."""
    return list(itertools.accumulate(1.0 / (i + flat) ** skew for i in range(n)))


FEMALE: tuple[str, ...] = tuple(_tokens(_FEMALE))
MALE: tuple[str, ...] = tuple(_tokens(_MALE))
UNISEX: tuple[str, ...] = tuple(_tokens(_UNISEX))
FAMILY: tuple[str, ...] = tuple(_tokens(_FAMILY))

_CUM = {
    "F": _zipf(len(FEMALE)),
    "M": _zipf(len(MALE)),
    "X": _zipf(len(UNISEX), skew=0.3),
}
_POOL: dict[str, Sequence[str]] = {"F": FEMALE, "M": MALE, "X": UNISEX}
_FAMILY_CUM = _zipf(len(FAMILY), skew=0.9, flat=5.0)


def given_name(rng: random.Random, gender: str) -> str:
    """A given name for `gender` ("F", "M" or "X"); a few F/M people get a unisex name."""
    if gender != "X" and rng.random() < 0.03:
        gender = "X"
    return rng.choices(_POOL[gender], cum_weights=_CUM[gender])[0]


def family_name(rng: random.Random) -> str:
    return rng.choices(FAMILY, cum_weights=_FAMILY_CUM)[0]
