"""Word lists for seeded data (realistic-looking, all invented combinations)."""

from __future__ import annotations

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra "
    "Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol "
    "Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura "
    "Jeffrey Cynthia Ryan Dorothy Jacob Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan Emma "
    "Stephen Brenda Larry Pamela Justin Nicole Scott Anna Brandon Samantha Benjamin Katherine Samuel "
    "Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia "
    "Dennis Heather Jerry Helen Tyler Catherine Aaron Diane Jose Julie Adam Victoria Nathan Joyce Henry "
    "Lauren Zachary Kelly Douglas Christina Peter Ruth Kyle Joan Noah Virginia Ethan Judith Jeremy Evelyn "
    "Christian Hannah Walter Andrea Keith Megan Austin Cheryl Roger Jacqueline Terry Madison Sean Teresa "
    "Gerald Abigail Carl Sophia Dylan Martha Harold Sara Jordan Gloria Jesse Janice Bryan Kathryn Lawrence "
    "Ann Arthur Isabella Gabriel Judy Bruce Charlotte Logan Julia Billy Grace Joe Amber Alan Alice Juan "
    "Jean Elijah Denise Willie Frances Albert Danielle Wayne Marilyn Randy Natalie Mason Beverly Vincent "
    "Diana Liam Brittany Roy Theresa Bobby Kayla Caleb Alexis Bradley Doris Russell Lori Lucas Tiffany "
    "Priya Wei Mohammed Aisha Hiroshi Yuki Carlos Sofia Mateo Valentina Arjun Ananya Chen Mei Omar Fatima "
    "Dmitri Olga Kwame Amara Lars Ingrid Pierre Camille Giovanni Chiara Seo-yeon Min-jun Thanh Linh "
    "José Zoë Renée François Björn Inês Łukasz Dağhan Siobhán Nguyễn"
).split()

LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
    "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
    "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James "
    "Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez "
    "Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez "
    "Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole "
    "Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens "
    "Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker "
    "Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz "
    "Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice "
    "Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley "
    "Spencer Hawkins Arnold Pierce Hansen Peters Santos Hart Bradley Knight Elliott Cunningham Duncan "
    "Okafor Nakamura Sato Kowalski Novak Larsen Dubois Rossi Muller Singh Sharma Wang Zhang Ivanova Haddad "
    "Müller Núñez Peña O'Brien García-López Lefèvre Søndergaard Çelik"
).split()

COMPANY_FIRST = (
    "Blue Harbor,Northwind,Summit,Riverbend,Cedar Ridge,Golden Gate,Silver Lake,Evergreen,Maple Leaf,"
    "Ironwood,Brightline,Clearwater,Redstone,Pinecrest,Lakeside,Oakmont,Stonebridge,Bayview,Highland,"
    "Meadowbrook,Copperfield,Westfield,Eastgate,Sunrise,Harborview,Granite,Willow Creek,Fairview,"
    "Beacon,Crescent,Keystone,Pioneer,Landmark,Horizon,Heritage,Liberty,Coastal,Prairie,Falcon,Orchard"
).split(",")

COMPANY_SECOND = (
    "Dental,Logistics,Bakery,Consulting,Insurance,Realty,Fitness,Veterinary Clinic,Builders,Law Group,"
    "Florist,Coffee Roasters,Accounting,Marketing,Outfitters,Auto Repair,Yoga Studio,Pediatrics,Brewing,"
    "Landscaping,Print Shop,Books,Credit Union,Animal Rescue,Community Theater,Farm,Design,Plumbing,"
    "Family Practice,Boutique,Catering,Hardware,Academy,Foundation,Physical Therapy,Travel,Wines,Cycles"
).split(",")

COMPANY_SUFFIX = ("", "", "", " LLC", " Inc.", " Co.", " & Sons", " Group")

JOB_TITLES = (
    "Owner,Office Manager,Marketing Director,Sales Associate,Accountant,Teacher,Nurse,Engineer,Consultant,"
    "Project Manager,Volunteer Coordinator,Administrative Assistant,Customer Success Manager,Designer,"
    "Operations Lead,Store Manager,Chef,Pharmacist,Developer,Executive Director,Board Member,Student,"
    "Retired,Real Estate Agent,Photographer,Electrician,Physician,Event Planner,HR Generalist,Analyst"
).split(",")

FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "aol.com", "icloud.com", "comcast.net")

STREETS = (
    "Main St,Oak Ave,Maple Dr,Cedar Ln,Park Rd,Elm St,Washington Blvd,Lake View Dr,Hillcrest Ave,"
    "Sunset Blvd,River Rd,Church St,Highland Ave,Mill St,Spring St,Chestnut St,Pine St,Walnut Ave,"
    "Franklin St,Jefferson Ave,Lincoln Way,Madison Ct,Harbor Rd,Meadow Ln,Forest Ave"
).split(",")

CITIES = (
    ("Boston", "MA", "02"), ("Portland", "OR", "97"), ("Austin", "TX", "78"), ("Denver", "CO", "80"),
    ("Madison", "WI", "53"), ("Raleigh", "NC", "27"), ("Burlington", "VT", "05"), ("Tucson", "AZ", "85"),
    ("Columbus", "OH", "43"), ("Savannah", "GA", "31"), ("Boise", "ID", "83"), ("Richmond", "VA", "23"),
    ("Albany", "NY", "12"), ("Omaha", "NE", "68"), ("Spokane", "WA", "99"), ("Providence", "RI", "02"),
)

REASONS_CONTACT = (
    "Too many emails",
    "The content is not relevant to me",
    "I never signed up for this list",
    "I no longer want to receive these emails",
    "The emails are spam",
    "Other: moved away from the area",
    "Other: please stop",
    "",
)
REASONS_ACCOUNT = (
    "Asked by phone to stop emails",
    "Requested at the front desk",
    "Email bounced repeatedly",
    "Duplicate record; kept the newer one",
    "Customer asked via support ticket",
)

NOTES = (
    "Met at the spring open house.",
    "Prefers phone calls in the afternoon.",
    "Asked about the annual membership.",
    "Referred by a current customer.",
    "Interested in volunteering at events.",
    "Requested a copy of the price list.",
)

LISTS = (
    ("Newsletter", 0.62, True),
    ("Customers", 0.34, False),
    ("Events & Webinars", 0.21, False),
    ("Product Updates", 0.28, False),
    ("Free Members", 0.16, False),
    ("VIP", 0.05, True),
)
DELETED_LIST = "Spring Promo 2023"

TAGS = (
    ("Trade show 2024", 0.04),
    ("Donor", 0.06),
    ("Webinar attendee", 0.08),
    ("Wholesale", 0.03),
    ("Board", 0.01),
    ("Referral", 0.05),
)

CUSTOM_FIELDS = ("Member since", "Membership tier", "Favorite product", "Preferred store")
